"""Mapping and cell figures of the golden eval (GOLDEN_FORMAT.md, "Metrics").

- ``mapping``: precision, recall and F1 over pairs (target column, ordered source list). A pair
  counts as produced when the run's Mapping Plan accepted it; a target the run left unmapped,
  held or marked for a fix produced nothing. A produced pair equal to the expected one is a hit;
  an expected ``[]`` with nothing produced is a hit too; a produced pair that differs is a false
  positive and, when a source was expected, also a miss.
- ``cells``: the share of ``expected.csv`` cells the accepted plan produced exactly, joined on
  the target key columns: strings compared after trimming, numbers by value, dates and
  timestamps as ISO 8601, an empty field as NULL.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.target_schema import TargetSchema

if TYPE_CHECKING:
    import polars as pl

__all__ = ["PairCounts", "cell_accuracy", "mapping_counts", "prf"]


@dataclass(frozen=True)
class PairCounts:
    hits: int = 0
    false_positives: int = 0
    misses: int = 0

    def __add__(self, other: PairCounts) -> PairCounts:
        return PairCounts(
            self.hits + other.hits,
            self.false_positives + other.false_positives,
            self.misses + other.misses,
        )


def mapping_counts(
    plan: Mapping[str, Any] | None, expected: Mapping[str, Sequence[str]]
) -> PairCounts:
    """Hits, false positives and misses of one case's plan (None: the run made no plan)."""
    produced: dict[str, list[str]] = {}
    for column in (plan or {}).get("columns", []):
        if column["decision"] == "accept" and column["sources"]:
            produced[column["target"]] = list(column["sources"])
    hits = fps = misses = 0
    for target, want in expected.items():
        got = produced.get(target)
        if got is None:
            if want:
                misses += 1
            else:
                hits += 1
        elif got == list(want):
            hits += 1
        else:
            fps += 1
            misses += 1 if want else 0
    return PairCounts(hits, fps, misses)


def prf(counts: PairCounts) -> dict[str, float]:
    p_den = counts.hits + counts.false_positives
    r_den = counts.hits + counts.misses
    p = counts.hits / p_den if p_den else 0.0
    r = counts.hits / r_den if r_den else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f1, 4)}


def _norm(value: Any, family: str) -> Any:
    if value is None:
        return None
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    text = str(value).strip()
    if text == "":
        return None
    if family in ("integer", "decimal", "float"):
        try:
            return Decimal(text).normalize()
        except InvalidOperation:
            return text
    if family in ("timestamp", "date"):
        try:  # ISO 8601 by value: 10:00 == 10:00:00, Z == +00:00
            stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return text
        if stamp.tzinfo is not None:
            stamp = stamp.astimezone(dt.UTC).replace(tzinfo=None)
        return stamp.date().isoformat() if family == "date" else stamp.isoformat()
    if family == "boolean":
        word = text.lower()
        if word in ("true", "t", "1", "yes", "y"):
            return True
        if word in ("false", "f", "0", "no", "n"):
            return False
    return text


def cell_accuracy(
    produced: pl.DataFrame, expected_csv: Path, target: TargetSchema
) -> tuple[int, int]:
    """(cells produced exactly, expected cells) of one case."""
    families = {c.name: c.family for c in target.columns}
    with expected_csv.open(encoding="utf-8-sig", newline="") as f:  # Excel writes a BOM
        rows = list(csv.DictReader(f))
    keys = list(target.keys) or list(families)
    columns = [c for c in (rows[0].keys() if rows else []) if c in families]
    by_key: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in produced.iter_rows(named=True):
        by_key.setdefault(tuple(_norm(row.get(k), families[k]) for k in keys), row)
    right = total = 0
    for row in rows:
        got = by_key.get(tuple(_norm(row.get(k), families[k]) for k in keys))
        for c in columns:
            total += 1
            if got is not None and _norm(got.get(c), families[c]) == _norm(row[c], families[c]):
                right += 1
    return right, total
