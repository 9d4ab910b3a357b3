"""The Standard Schema Catalog of one table: columns, inferred types, statistics, shapes.

Types are inferred from the text of every value (not a sample), by the share of non-null values
that parse: ``integer``, ``decimal(p,s)``, ``float``, ``boolean``, ``date``, ``timestamp``, else
``string``. A type is taken when at least 98% of the non-null values have it (the rest are the
column's outliers, counted). Shapes (``9{4}-9{2}-9{2}``) describe values without showing them,
so the catalog carries no row value and is the same in ``metadata_only`` and ``data_mode``.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    import polars as pl

__all__ = ["CatalogColumn", "CatalogTable", "catalog_table", "infer_type", "shape"]

_SHARE = 0.98
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("boolean", re.compile(r"(?i)^(?:true|false|yes|no|t|f|y|n)$")),
    ("integer", re.compile(r"^[+-]?\d{1,18}$")),
    ("decimal", re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)\.\d+$")),
    ("float", re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)[eE][+-]?\d+$")),
    ("date", re.compile(r"^\d{4}-\d{2}-\d{2}$|^\d{1,2}/\d{1,2}/\d{4}$")),
    (
        "timestamp",
        re.compile(
            r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$"
        ),
    ),
)


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CatalogColumn(_Frozen):
    name: str  # canonical (snake_case, unique)
    source_name: str  # as the file wrote it
    type: str  # string, integer, decimal(p,s), float, boolean, date, timestamp
    nulls: int
    distinct: int
    outliers: int  # non-null values that do not parse as ``type``
    min_length: int | None
    max_length: int | None
    unique: bool  # no null, no repeated value: a key candidate
    shapes: list[tuple[str, int]]  # the 5 most common shapes and their counts


class CatalogTable(_Frozen):
    name: str
    rows: int
    columns: list[CatalogColumn]


_RUNS = re.compile(r"\d+|[^\W\d_]+")


def shape(value: str) -> str:
    """A value's shape: digit runs with their length, letter runs by case, other characters kept.

    >>> shape("INV-2024-000123"), shape("Ana López"), shape("1,234.50")
    ('A-9{4}-9{6}', 'Aa Aa', '9{1},9{3}.9{2}')
    """

    def run(m: re.Match[str]) -> str:
        g = m.group()
        if g.isdigit():
            return f"9{{{len(g)}}}"
        return "A" if g.isupper() else "a" if g.islower() else "Aa"

    return _RUNS.sub(run, value[:200])


def infer_type(values: list[str]) -> tuple[str, int]:
    """The type of a column's non-null text values, and how many values do not fit it.

    >>> infer_type(["1", "22", "-3"]), infer_type(["1.50", "2,000.25"]), infer_type(["x", "1"])
    (('integer', 0), ('decimal(6,2)', 0), ('string', 0))
    """
    if not values:
        return "string", 0
    for name, pattern in _PATTERNS:
        misses = sum(1 for v in values if not pattern.match(v.strip()))
        if misses <= (1 - _SHARE) * len(values):
            if name == "decimal":
                return _decimal(values, pattern), misses
            return name, misses
    return "string", 0


def _decimal(values: list[str], pattern: re.Pattern[str]) -> str:
    scale = precision = 0
    for v in values:
        v = v.strip()
        if not pattern.match(v):
            continue
        whole, _, frac = v.lstrip("+-").replace(",", "").partition(".")
        scale = max(scale, len(frac))
        precision = max(precision, len(whole.lstrip("0") or "0") + len(frac))
    precision = max(precision, scale + 1)
    return f"decimal({min(precision, 38)},{scale})"


_SHAPE_SAMPLE = 10_000  # shapes are counted on the first 10k distinct values


def catalog_table(name: str, frame: pl.DataFrame, source_names: list[str]) -> CatalogTable:
    """Profile every column of ``frame`` (text columns, canonical names), vectorised: one pass of
    Polars expressions over all columns, then the type patterns on the non-null values."""
    import polars as pl

    stats = frame.select(
        [pl.col(c).null_count().alias(f"{c}\x00nulls") for c in frame.columns]
        + [pl.col(c).n_unique().alias(f"{c}\x00distinct") for c in frame.columns]
        + [pl.col(c).str.len_chars().min().alias(f"{c}\x00min") for c in frame.columns]
        + [pl.col(c).str.len_chars().max().alias(f"{c}\x00max") for c in frame.columns]
    ).row(0, named=True)
    columns = []
    for column, source in zip(frame.columns, source_names, strict=True):
        series = frame.get_column(column)
        nulls = int(stats[f"{column}\x00nulls"])
        present = frame.height - nulls
        distinct = int(stats[f"{column}\x00distinct"]) - (1 if nulls else 0)
        kind, outliers = _infer_series(series.drop_nulls().str.strip_chars(), present)
        sample = series.drop_nulls().unique(maintain_order=True).head(_SHAPE_SAMPLE).to_list()
        columns.append(
            CatalogColumn(
                name=column,
                source_name=source,
                type=kind,
                nulls=nulls,
                distinct=distinct,
                outliers=outliers,
                min_length=stats[f"{column}\x00min"],
                max_length=stats[f"{column}\x00max"],
                unique=present > 0 and nulls == 0 and distinct == frame.height,
                shapes=Counter(shape(v) for v in sample).most_common(5),
            )
        )
    return CatalogTable(name=name, rows=frame.height, columns=columns)


def _infer_series(values: pl.Series, present: int) -> tuple[str, int]:
    """``infer_type`` on a Polars series: the patterns run as vectorised regex matches."""
    if present == 0:
        return "string", 0
    for name, pattern in _PATTERNS:
        misses = present - int(values.str.contains(pattern.pattern).sum())
        if misses <= (1 - _SHARE) * present:
            if name == "decimal":
                return _decimal_series(values, pattern), misses
            return name, misses
    return "string", 0


def _decimal_series(values: pl.Series, pattern: re.Pattern[str]) -> str:
    fitting = values.filter(values.str.contains(pattern.pattern))
    parts = fitting.str.replace_all(r"[+,-]", "").str.split_exact(".", 1).struct.unnest()
    whole = parts.get_column("field_0").str.strip_chars_start("0").str.len_chars().clip(1)
    frac = parts.get_column("field_1").fill_null("").str.len_chars()
    scale = _int(frac.max())
    precision = max(_int((whole + frac).max()), scale + 1)
    return f"decimal({min(precision, 38)},{scale})"


def _int(value: object) -> int:
    return int(value) if isinstance(value, int | float) else 0
