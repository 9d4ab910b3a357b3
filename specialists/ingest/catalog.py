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
from typing import TYPE_CHECKING, Any

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
_HEAD = 2_000  # the first values a type is guessed from


def catalog_table(name: str, frame: pl.DataFrame, source_names: list[str]) -> CatalogTable:
    """Profile every column of ``frame`` (text columns, canonical names).

    Vectorised, in one pass of Polars expressions over the whole frame (columns in parallel):
    null counts, lengths, distinct counts, and the check of each column's type guess (made from
    its first 2,000 values), with the digits and scale of a guessed decimal (integers are
    checked by Polars' parser and the pattern only runs when that does not settle it). Key
    candidates (columns whose first values are all distinct) get a hashed distinct count
    instead of an estimate: never more than the true count, so a count equal to the rows proves
    the column unique; a near key is counted again exactly. A guess the whole column refutes is
    searched again."""
    import polars as pl

    exact = frame.height <= _EXACT_DISTINCT
    heads = {c: frame.get_column(c).head(_HEAD) for c in frame.columns}
    guesses = {c: _guess(heads[c].drop_nulls()) for c in frame.columns}
    candidates = [
        c
        for c in frame.columns
        if not exact and heads[c].null_count() == 0 and heads[c].n_unique() == len(heads[c])
    ]

    stats = frame.select(_profile_exprs(frame.columns, guesses, candidates, exact)).row(
        0, named=True
    )

    nulls = {c: int(stats[f"{c}\x00nulls"]) for c in frame.columns}
    # An integer column is proven when Polars parses every value and none is longer than 18
    # characters (so each is the pattern's [+-]digits); otherwise the pattern decides.
    unproven = []
    for c, g in guesses.items():
        if g != "integer":
            continue
        present = frame.height - nulls[c]
        if stats[f"{c}\x00native"] == present and _int(stats[f"{c}\x00max"]) <= 18:
            stats[f"{c}\x00fits"] = present
        else:
            unproven.append(c)
    if unproven:
        stats |= frame.select(
            pl.col(c).str.contains(_PATTERN_OF["integer"]).sum().alias(f"{c}\x00fits")
            for c in unproven
        ).row(0, named=True)
    distinct = _distinct_counts(frame, stats, nulls, candidates, exact)
    columns = []
    for column, source in zip(frame.columns, source_names, strict=True):
        series = frame.get_column(column)
        present = frame.height - nulls[column]
        kind, outliers = _settle(series, present, guesses[column], stats, column)
        if kind.startswith(("integer", "decimal")) and stats.get(f"{column}\x00zeros"):
            # Read as numbers, 06000 would lose its zero: codes with leading zeros stay text.
            kind, outliers = "string", 0
        head = series.head(20_000).drop_nulls().unique(maintain_order=True)
        columns.append(
            CatalogColumn(
                name=column,
                source_name=source,
                type=kind,
                nulls=nulls[column],
                distinct=distinct[column],
                outliers=outliers,
                min_length=stats[f"{column}\x00min"],
                max_length=stats[f"{column}\x00max"],
                unique=present > 0 and nulls[column] == 0 and distinct[column] == frame.height,
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


def _settle(
    series: pl.Series, present: int, guess: str | None, stats: dict[str, object], column: str
) -> tuple[str, int]:
    """The column's type: the guess when the whole column confirms it, else a full search."""
    if guess is None:
        return "string", 0
    misses = present - _int(stats[f"{column}\x00fits"])
    if misses <= (1 - _SHARE) * present:
        if guess == "decimal" and misses == 0 and not stats[f"{column}\x00padded"]:
            return _decimal_type(stats[f"{column}\x00digits"], stats[f"{column}\x00scale"]), 0
        if guess == "decimal":
            return _decimal_series(series.drop_nulls(), dict(_PATTERNS)["decimal"]), misses
        return _TYPE_OF.get(guess, guess), misses
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


def _profile_exprs(
    columns: list[str], guesses: dict[str, str | None], candidates: list[str], exact: bool
) -> list[pl.Expr]:
    """The expressions of the one pass over the whole frame (see ``catalog_table``)."""
    import polars as pl

    def distinct_expr(c: str) -> pl.Expr:
        return pl.col(c).n_unique() if exact else pl.col(c).approx_n_unique()

    exprs = (
        [pl.col(c).null_count().alias(f"{c}\x00nulls") for c in columns]
        + [distinct_expr(c).alias(f"{c}\x00distinct") for c in columns if c not in candidates]
        + [pl.col(c).str.len_chars().min().alias(f"{c}\x00min") for c in columns]
        + [pl.col(c).str.len_chars().max().alias(f"{c}\x00max") for c in columns]
        + [pl.col(c).hash().n_unique().alias(f"{c}\x00hashed") for c in candidates]
    )
    for c, g in guesses.items():
        if g in ("integer", "decimal"):  # a leading zero (06000, 0042) makes it a code
            v = pl.col(c)  # prefix tests, not a regex: this runs on every row
            zero = v.str.starts_with("0") & ~v.str.starts_with("0.") & (v.str.len_bytes() > 1)
            exprs.append(zero.any().alias(f"{c}\x00zeros"))
        if g == "integer":  # Polars' own parser first: far cheaper than a regex on every row
            native = pl.col(c).str.to_integer(strict=False).is_not_null().sum()
            exprs.append(native.alias(f"{c}\x00native"))
        elif g is not None:
            exprs.append(pl.col(c).str.contains(_PATTERN_OF[g]).sum().alias(f"{c}\x00fits"))
        if g == "decimal":  # digits and scale, right when every value is bare (checked later)
            digits, scale = _decimal_parts(pl.col(c))
            exprs.append(_padded(pl.col(c)).any().alias(f"{c}\x00padded"))
            exprs.append(digits.alias(f"{c}\x00digits"))
            exprs.append(scale.alias(f"{c}\x00scale"))
    return exprs


def _distinct_counts(
    frame: pl.DataFrame,
    stats: dict[str, Any],
    nulls: dict[str, int],
    candidates: list[str],
    exact: bool,
) -> dict[str, int]:
    """Distinct values per column: exact up to ``_EXACT_DISTINCT`` rows, then estimates, but
    exact for key candidates and near keys."""
    distinct = {
        c: int(stats[f"{c}\x00distinct"]) - (1 if nulls[c] and exact else 0)
        for c in frame.columns
        if c not in candidates
    }
    for c in distinct:
        if not exact and nulls[c] == 0 and distinct[c] >= 0.97 * frame.height:
            distinct[c] = int(frame.get_column(c).n_unique())  # a near key: count exactly
    for c in candidates:
        hashed = int(stats[f"{c}\x00hashed"]) - (1 if nulls[c] else 0)
        if nulls[c] == 0 and hashed == frame.height:
            distinct[c] = frame.height  # proven: a hash count never exceeds the true count
        elif nulls[c] == 0 and hashed >= 0.97 * frame.height:
            distinct[c] = int(frame.get_column(c).n_unique())  # a near key: count exactly
        else:
            distinct[c] = hashed  # exact but for 64-bit hash collisions
    return distinct


#: What ``\s`` matches (Unicode White_Space): a value that starts or ends with one is padded.
_WHITESPACE = [
    *"\t\n\x0b\x0c\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000",
    *(chr(c) for c in range(0x2000, 0x200B)),
]


def _padded(v: pl.Expr) -> pl.Expr:
    """Whether a value starts or ends with white space (cheaper than a regex on every row)."""
    return v.str.head(1).is_in(_WHITESPACE) | v.str.tail(1).is_in(_WHITESPACE)


def _decimal_parts(v: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """The most digits of one value and the largest scale, without a regex, for values the
    decimal pattern matches with nothing around them: ``[+-]digits[,digits...][.digits]``."""
    import polars as pl

    length = v.str.len_bytes().cast(pl.Int64)
    dot = v.str.find(".", literal=True).cast(pl.Int64)
    scale = (length - dot).max() - 1  # nulls (no point) drop out; null when none has a point
    digits = (
        length
        - v.str.count_matches(",", literal=True).cast(pl.Int64)
        - dot.is_not_null().cast(pl.Int64)
        - v.str.head(1).is_in(["+", "-"]).cast(pl.Int64)
    ).max()
    return digits, scale


def _decimal_type(digits: object, scale: object) -> str:
    precision = max(_int(digits), _int(scale) + 1)
    return f"decimal({min(precision, 38)},{_int(scale)})"


def _decimal_series(values: pl.Series, pattern: re.Pattern[str]) -> str:
    """``decimal(p,s)`` of the values the decimal pattern matches: ``p`` the most digits of one
    value, ``s`` the most after the point (the values trimmed first)."""
    import polars as pl

    v = values.str.strip_chars().filter(values.str.contains(pattern.pattern))
    digits, scale = _decimal_parts(pl.col(v.name))
    row = v.to_frame().select(digits.alias("d"), scale.alias("s"))
    return _decimal_type(row.item(0, "d"), row.item(0, "s"))


def _int(value: object) -> int:
    return int(value) if isinstance(value, int | float) else 0
