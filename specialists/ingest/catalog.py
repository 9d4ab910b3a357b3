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

from core.shapes import shape as value_shape

if TYPE_CHECKING:
    import polars as pl

__all__ = ["CatalogColumn", "CatalogTable", "catalog_table", "infer_type", "shape"]

_SHARE = 0.98
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("boolean", re.compile(r"(?i)^\s*(?:true|false|yes|no|t|f|y|n)\s*$")),
    ("integer", re.compile(r"^\s*[+-]?\d{1,18}\s*$")),
    # Whole amounts among amounts with cents are decimals too (integers are tried first).
    ("decimal", re.compile(r"^\s*[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?\s*$")),
    ("float", re.compile(r"^\s*[+-]?(?:\d+\.?\d*|\.\d+)[eE][+-]?\d+\s*$")),
    # One date format must cover the share on its own: ISO, or US month first (a day-first
    # value such as 15/03/2024 is no US date, so a mix of both orders stays a string).
    ("date_iso", re.compile(r"^\s*\d{4}-\d{2}-\d{2}\s*$")),
    ("date_us", re.compile(r"^\s*(?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12]\d|3[01])/\d{4}\s*$")),
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


def shape(value: str) -> str:
    """A value's shape (``core.shapes``), on its first 200 characters.

    >>> shape("INV-2024-000123"), shape("Ana López"), shape("1,234.50")
    ('A-9{4}-9{6}', 'Aa Aa', '9{1},9{3}.9{2}')
    """
    return value_shape(value[:200])


def infer_type(values: list[str]) -> tuple[str, int]:
    """The type of a column's non-null text values, and how many values do not fit it.

    >>> infer_type(["1", "22", "-3"]), infer_type(["1.50", "2,000.25"]), infer_type(["x", "1"])
    (('integer', 0), ('decimal(6,2)', 0), ('string', 0))
    """
    import polars as pl

    return _infer_series(pl.Series(values, dtype=pl.Utf8), len(values))


_SHAPE_SAMPLE = 1_000  # shapes are counted on the first 1,000 distinct values
_EXACT_DISTINCT = 100_000  # above this many rows, distinct counts are HyperLogLog estimates


def catalog_table(name: str, frame: pl.DataFrame, source_names: list[str]) -> CatalogTable:
    """Profile every column of ``frame`` (text columns, canonical names), vectorised: one pass of
    Polars expressions for counts and lengths, a type guess per column from its first 2,000
    values, then one pass checking every guess on the whole column (columns in parallel)."""
    import polars as pl

    exact = frame.height <= _EXACT_DISTINCT

    def distinct_expr(c: str) -> pl.Expr:
        return pl.col(c).n_unique() if exact else pl.col(c).approx_n_unique()

    stats = frame.select(
        [pl.col(c).null_count().alias(f"{c}\x00nulls") for c in frame.columns]
        + [distinct_expr(c).alias(f"{c}\x00distinct") for c in frame.columns]
        + [pl.col(c).str.len_chars().min().alias(f"{c}\x00min") for c in frame.columns]
        + [pl.col(c).str.len_chars().max().alias(f"{c}\x00max") for c in frame.columns]
    ).row(0, named=True)
    guesses = {c: _guess(frame.get_column(c).drop_nulls().head(2000)) for c in frame.columns}
    nulls = {c: int(stats[f"{c}\x00nulls"]) for c in frame.columns}
    distinct = {
        c: int(stats[f"{c}\x00distinct"]) - (1 if nulls[c] and exact else 0) for c in frame.columns
    }
    near_keys = [
        c
        for c in frame.columns
        if not exact and nulls[c] == 0 and distinct[c] >= 0.97 * frame.height
    ]
    checks = (
        frame.select(
            [pl.col(c).str.contains(_PATTERN_OF[g]).sum().alias(c) for c, g in guesses.items() if g]
            + [pl.col(c).n_unique().alias(f"{c}\x00exact") for c in near_keys]
        ).row(0, named=True)
        if (any(guesses.values()) or near_keys)
        else {}
    )
    columns = []
    for column, source in zip(frame.columns, source_names, strict=True):
        series = frame.get_column(column)
        present = frame.height - nulls[column]
        count = distinct[column] if column not in near_keys else int(checks[f"{column}\x00exact"])
        kind, outliers = _settle(series, present, guesses[column], checks.get(column))
        head = series.head(20_000).drop_nulls().unique(maintain_order=True)
        columns.append(
            CatalogColumn(
                name=column,
                source_name=source,
                type=kind,
                nulls=nulls[column],
                distinct=count,
                outliers=outliers,
                min_length=stats[f"{column}\x00min"],
                max_length=stats[f"{column}\x00max"],
                unique=present > 0 and nulls[column] == 0 and count == frame.height,
                shapes=Counter(shape(v) for v in head.head(_SHAPE_SAMPLE).to_list()).most_common(5),
            )
        )
    return CatalogTable(name=name, rows=frame.height, columns=columns)


_PATTERN_OF = {name: pattern.pattern for name, pattern in _PATTERNS}
#: Catalog types of the patterns whose name is not a type.
_TYPE_OF = {"date_iso": "date", "date_us": "date"}


def _guess(head: pl.Series) -> str | None:
    """The first type whose pattern fits the column's first values, if any."""
    if head.is_empty():
        return None
    for name, pattern in _PATTERNS:
        if len(head) - int(head.str.contains(pattern.pattern).sum()) <= (1 - _SHARE) * len(head):
            return name
    return None


def _settle(series: pl.Series, present: int, guess: str | None, fits: object) -> tuple[str, int]:
    """The column's type: the guess when the whole column confirms it, else a full search."""
    if guess is not None and isinstance(fits, int):
        misses = present - fits
        if misses <= (1 - _SHARE) * present:
            if guess == "decimal":
                return _decimal_series(series.drop_nulls(), dict(_PATTERNS)["decimal"]), misses
            return _TYPE_OF.get(guess, guess), misses
    if guess is None:
        return "string", 0
    return _infer_series(series.drop_nulls(), present)


def _infer_series(values: pl.Series, present: int) -> tuple[str, int]:
    """``infer_type`` on a Polars series: the patterns run as vectorised regex matches, on the
    whole column only for a pattern that fits the first 2,000 values."""
    if present == 0:
        return "string", 0
    head = values.head(2000)
    for name, pattern in _PATTERNS:
        if len(head) - int(head.str.contains(pattern.pattern).sum()) > (1 - _SHARE) * len(head):
            continue
        misses = present - int(values.str.contains(pattern.pattern).sum())
        if misses <= (1 - _SHARE) * present:
            if name == "decimal":
                return _decimal_series(values, pattern), misses
            return _TYPE_OF.get(name, name), misses
    return "string", 0


def _decimal_series(values: pl.Series, pattern: re.Pattern[str]) -> str:
    fitting = values.filter(values.str.contains(pattern.pattern))
    scale = _int(fitting.str.extract(r"\.(\d+)\s*$", 1).str.len_chars().max())
    precision = max(_int(fitting.str.count_matches(r"\d").max()), scale + 1)
    return f"decimal({min(precision, 38)},{scale})"


def _int(value: object) -> int:
    return int(value) if isinstance(value, int | float) else 0
