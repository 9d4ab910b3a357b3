"""data_mode checks on the transformed sample: coverage, null rates, duplicate keys.

``output`` holds one typed column per mapped target column and ``source`` the masked source
rows they came from, row for row. A source cell counts as empty when it is null, blank, or one
of :data:`NULL_TOKENS`.

- ``output_coverage`` (warn below 1.0): the share of mapped target columns the sample produced
  with at least one value.
- ``null_rate`` (fail above ``analysis.null_rate_max``): the produced null rate, split into the
  nulls that were already empty in the source and those the transform produced from a value.
- ``duplicate_keys`` (fail above ``analysis.dup_key_rate_max``): the share of rows whose key
  repeats an earlier row's; the fix names other mapped columns that make the key unique.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl

from core.profiles import ThresholdProfile
from specialists.analysis.model import Anomaly, Check, Fix, Status, anomaly, check
from specialists.analysis.plan import PlanColumn

__all__ = ["NULL_TOKENS", "Sample", "coverage_checks", "duplicate_key_checks", "null_checks"]

Findings = tuple[list[Check], list[Anomaly]]
#: Source cells read as empty (compared trimmed and lower-cased).
NULL_TOKENS = ("", "null", "none", "n/a", "na", "nan")
_EXAMPLES = 5


@dataclass(frozen=True)
class Sample:
    """What the data_mode checks read: the plan's columns, both frames, the profile, today."""

    columns: Sequence[PlanColumn]
    source: pl.DataFrame
    output: pl.DataFrame
    profile: ThresholdProfile
    today: date

    @property
    def rows(self) -> int:
        return self.output.height

    def produced(self) -> list[PlanColumn]:
        """The mapped columns present in the output."""
        return [c for c in self.columns if c.mapped and c.target in self.output.columns]

    def source_empty(self, column: PlanColumn) -> pl.Series:
        """True on the rows where every source of ``column`` is empty."""
        present = [s for s in column.sources if s in self.source.columns]
        if not present:
            return pl.Series([False] * self.rows)
        empty = [_empty(s) for s in present]
        return self.source.select(pl.all_horizontal(empty).alias("empty")).to_series()


def _empty(name: str) -> pl.Expr:
    text = pl.col(name).cast(pl.Utf8).str.strip_chars().str.to_lowercase()
    return pl.col(name).is_null() | text.is_in(list(NULL_TOKENS))


def coverage_checks(sample: Sample) -> Findings:
    # What the sample can show: accepted columns (held ones produce nothing until a person
    # decides), whose values were not masked.
    mapped = [
        c for c in sample.columns if c.mapped and c.decision == "accept" and not c.masked_sample
    ]
    produced = [
        c.target for c in sample.produced() if sample.output[c.target].null_count() < sample.rows
    ]
    missing = [c.target for c in mapped if c.target not in produced]
    share = round(len(produced) / len(mapped), 4) if mapped else 0.0
    status: Status = "pass" if not missing else "warn"
    checks = [check("output_coverage", None, status, share, 1.0, missing=missing)]
    if not missing:
        return checks, []
    return checks, [
        anomaly(
            "missing_output",
            None,
            "warn",
            f"{len(missing)} mapped columns produced no value on the sample: {', '.join(missing)}",
            Fix(
                kind="fix_pipeline",
                detail="run each pipeline's preview on the sample and fix the ones that give "
                "nothing",
                columns=missing,
            ),
            missing=missing,
        )
    ]


def null_checks(sample: Sample) -> Findings:
    limit = sample.profile.analysis.null_rate_max
    checks, anomalies = [], []
    for c in sample.produced():
        nulls = sample.output[c.target].is_null()
        count = int(nulls.sum())
        rate = round(count / sample.rows, 4) if sample.rows else 0.0
        status: Status = "fail" if rate > limit else "pass"
        checks.append(check("null_rate", c.target, status, rate, limit))
        if status == "pass":
            continue
        empty = sample.source_empty(c)
        from_source = int((nulls & empty).sum())
        failed = count - from_source
        failing = _failing_values(sample, c, nulls & ~empty)
        anomalies.append(
            anomaly(
                "null_rate",
                c.target,
                "fail",
                f"{c.target!r} is null on {count} of {sample.rows} rows ({rate:.1%}), over "
                f"{limit:.1%}: {from_source} were empty in the source, {failed} failed in the "
                "transform",
                _null_fix(c, failed, failing),
                nulls=count,
                rows=sample.rows,
                source_empty=from_source,
                transform_failed=failed,
                failing_examples=failing,
                source_empty_rate=round(from_source / sample.rows, 4),
            )
        )
    return checks, anomalies


def _failing_values(sample: Sample, column: PlanColumn, rows: pl.Series) -> list[str]:
    present = [s for s in column.sources if s in sample.source.columns]
    if not present:
        return []
    picked = sample.source.filter(rows).select(present).unique(maintain_order=True)
    return [" | ".join(str(v) for v in row) for row in picked.head(_EXAMPLES).rows()]


def _null_fix(column: PlanColumn, failed: int, failing: list[str]) -> Fix:
    if failed:
        return Fix(
            kind="fix_pipeline",
            detail=f"the transform fails on {failed} values (e.g. {', '.join(failing[:3])}): "
            f"fix the pipeline of {column.target!r} (formats, separators, casts)",
        )
    return Fix(
        kind="relax_threshold_or_nullable",
        detail=f"the source is sparse: relax analysis.null_rate_max or make {column.target!r} "
        "nullable in the target",
    )


def duplicate_key_checks(sample: Sample) -> Findings:
    keys = [c.target for c in sample.columns if c.key]
    limit = sample.profile.analysis.dup_key_rate_max
    if not keys or not sample.rows:
        return [], []
    if any(k not in sample.output.columns for k in keys):
        return [check("duplicate_keys", None, "pass", None, limit, skipped="key not produced")], []
    rows = sample.rows
    extra = rows - sample.output.select(keys).unique().height
    rate = round(extra / rows, 4)
    status: Status = "fail" if rate > limit else "pass"
    checks = [check("duplicate_keys", ",".join(keys), status, rate, limit)]
    if status == "pass":
        return checks, []
    repeated = (
        sample.output.group_by(keys, maintain_order=True)
        .len()
        .filter(pl.col("len") > 1)
        .head(_EXAMPLES)
    )
    examples = [{"key": [str(v) for v in row[:-1]], "rows": row[-1]} for row in repeated.rows()]
    extend = _composite_key(sample, keys)
    if extend:
        fix = Fix(
            kind="composite_key",
            detail=f"{', '.join(keys + extend)} is unique on the sample: make it the key, or "
            "deduplicate the source",
            columns=keys + extend,
        )
    else:
        fix = Fix(
            kind="deduplicate",
            detail="no other mapped column makes the key unique: deduplicate the source rows or "
            "choose another key",
        )
    return checks, [
        anomaly(
            "duplicate_keys",
            ",".join(keys),
            "fail",
            f"{extra} of {rows} rows repeat a key ({rate:.1%}), over {limit:.1%}",
            fix,
            duplicate_rows=extra,
            rows=rows,
            examples=examples,
        )
    ]


def _composite_key(sample: Sample, keys: list[str]) -> list[str]:
    """The fewest (one, else two) other produced, never-null columns that make keys unique."""
    others = [
        c.target
        for c in sample.produced()
        if c.target not in keys and sample.output[c.target].null_count() == 0
    ]
    for size in (1, 2):
        for extra in itertools.combinations(others, size):
            if sample.output.select([*keys, *extra]).unique().height == sample.rows:
                return list(extra)
        if math.comb(len(others), 2) > 200:
            break
    return []
