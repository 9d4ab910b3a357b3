"""The shape of a value: what it looks like without what it says."""

from __future__ import annotations

import re

__all__ = ["shape"]

_RUNS = re.compile(r"\d+|[^\W\d_]+")


def _run(m: re.Match[str]) -> str:
    g = m.group()
    if g.isdigit():
        return f"9{{{len(g)}}}"
    return "A" if g.isupper() else "a" if g.islower() else "Aa"


def shape(value: str) -> str:
    """Digit runs with their length, letter runs by case, every other character kept.

    >>> shape("INV-2024-000123"), shape("Ana López"), shape("1,234.50")
    ('A-9{4}-9{6}', 'Aa Aa', '9{1},9{3}.9{2}')
    """
    return _RUNS.sub(_run, value)
