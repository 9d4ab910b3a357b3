"""The regex dialect of the Domain Catalog: Python ``re``, anchored, simple constructs only.

A domain's regex is evidence read by more than Python: value checks may run it in SQL or in
Polars (Rust's ``regex`` crate), which have no lookaround, backreferences, atomic groups,
conditionals or possessive quantifiers. So a catalog regex must

- compile with Python's ``re``;
- be anchored as a whole: start with ``^``, end with an unescaped ``$`` and have no ``|`` outside
  a group (``^a|b$`` matches any text that starts with ``a``);
- use none of the constructs above.
"""

from __future__ import annotations

import re

__all__ = ["regex_problem"]

_GROUPS = (
    ("(?=", "a lookahead"),
    ("(?!", "a negative lookahead"),
    ("(?<=", "a lookbehind"),
    ("(?<!", "a negative lookbehind"),
    ("(?>", "an atomic group"),
    ("(?(", "a conditional"),
    ("(?P=", "a backreference"),
)
_QUANTIFIERS = "*+?}"


def regex_problem(pattern: str) -> str | None:
    """What keeps ``pattern`` from being a catalog regex, or None when it is one.

    Example:
        >>> regex_problem(r"^\\d{5}(?:-\\d{4})?$") is None
        True
        >>> regex_problem(r"^a|b$")
        'has a | outside a group; write ^(?:a|b)$'
        >>> regex_problem(r"^(?!000)\\d{3}$")
        'uses a negative lookahead'
    """
    try:
        re.compile(pattern)
    except re.error as e:
        return f"does not compile: {e}"
    if not pattern.startswith("^") or not _ends_anchored(pattern):
        return "is not anchored: start it with ^ and end it with $"
    return _scan(pattern)


def _ends_anchored(pattern: str) -> bool:
    if not pattern.endswith("$"):
        return False
    backslashes = len(pattern) - 1 - len(pattern[:-1].rstrip("\\"))
    return backslashes % 2 == 0


def _scan(pattern: str) -> str | None:
    depth, i = 0, 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            if pattern[i + 1 : i + 2] in tuple("123456789"):
                return "uses a backreference"
            i += 2
            continue
        if c == "[":
            i = _class_end(pattern, i)
            continue
        if c == "(":
            construct = next(
                (name for token, name in _GROUPS if pattern.startswith(token, i)), None
            )
            if construct is not None:
                return f"uses {construct}"
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            return "has a | outside a group; write ^(?:a|b)$"
        elif c in _QUANTIFIERS and pattern[i + 1 : i + 2] == "+" and pattern[i - 1 : i] != "(":
            return "uses a possessive quantifier"
        i += 1
    return None


def _class_end(pattern: str, start: int) -> int:
    """The index after the character class that opens at ``start`` (``[]a]`` holds ``]``)."""
    i = start + 1
    if pattern[i : i + 1] == "^":
        i += 1
    if pattern[i : i + 1] == "]":
        i += 1
    while i < len(pattern) and pattern[i] != "]":
        i += 2 if pattern[i] == "\\" else 1
    return i + 1
