"""The Analysis Report v1 body: every check of the plan's mode, anomalies, fixes, suggestions.

``analysis_report`` is a pure function of the Mapping Plan, the target schema, the Threshold
Profile and (in data_mode) the masked source sample and its transformed output. Its
``metrics`` are what the Analysis gate reads: ``fails`` and ``warns`` count the anomalies by
severity (one per check that did not pass).

Threshold suggestions are kept simple: when a column's nulls were already empty in the source at
a rate above ``analysis.null_rate_max``, the report suggests the smallest value, rounded up to
0.01, at which that column would pass. Transform failures never lead to a suggestion: they are
fixed in the pipeline, not in the profile.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

import polars as pl

from core.errors import ContractError
from core.profiles import ThresholdProfile
from core.target_schema import TargetSchema
from specialists.analysis.checks_data import (
    Sample,
    coverage_checks,
    duplicate_key_checks,
    null_checks,
)
from specialists.analysis.checks_metadata import metadata_checks
from specialists.analysis.checks_rules import date_order_checks, debit_credit_checks
from specialists.analysis.checks_values import (
    distribution_checks,
    future_date_checks,
    unit_checks,
)
from specialists.analysis.model import (
    ANALYSIS_CHECKS,
    Anomaly,
    Check,
    ThresholdSuggestion,
)
from specialists.analysis.plan import plan_columns

__all__ = ["REPORT_VERSION", "analysis_report", "threshold_suggestions"]

REPORT_VERSION = 1
_DATA_CHECKS: tuple[Callable[[Sample], tuple[list[Check], list[Anomaly]]], ...] = (
    coverage_checks,
    null_checks,
    duplicate_key_checks,
    unit_checks,
    future_date_checks,
    distribution_checks,
    date_order_checks,
    debit_credit_checks,
)


def analysis_report(
    plan: Mapping[str, Any],
    target: TargetSchema,
    profile: ThresholdProfile,
    *,
    source: pl.DataFrame | None = None,
    output: pl.DataFrame | None = None,
    today: date | None = None,
    domain_types: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The Analysis Report v1 body for a Mapping Plan v1 body.

    Args:
        plan: the Mapping Plan v1 body (``mode``, ``target``, ``columns``).
        target: the target schema (types, keys, every target column).
        profile: the run's Threshold Profile (``analysis.*``, ``mapping.near_match_window``).
        source: data_mode: the masked source sample, every column Utf8, named by header.
        output: data_mode: the transformed sample, one typed column per mapped target column,
            row for row with ``source``.
        today: the date future dates are measured from (default: today).
        domain_types: domain id -> value type from the Domain Catalog; without it the value
            types follow the catalog's naming conventions.

    Raises:
        ContractError: data_mode without both frames, or frames of different heights.
    """
    mode = str(plan.get("mode", "metadata_only"))
    if mode not in ("data_mode", "metadata_only"):
        raise ContractError(f"unknown plan mode {mode!r}", field="mode")
    columns = plan_columns(plan, target)
    source_columns: Sequence[str] | None = plan.get("source_columns")
    if mode == "data_mode":
        if source is None or output is None:
            raise ContractError("data_mode analysis needs the source sample and its output")
        if source.height != output.height:
            raise ContractError(
                f"the output has {output.height} rows and the source {source.height}: they "
                "must be row for row"
            )
        source_columns = source.columns
    checks, anomalies = metadata_checks(columns, source_columns, domain_types)
    if mode == "data_mode":
        assert source is not None and output is not None
        sample = Sample(columns, source, output, profile, today or date.today())
        for run in _DATA_CHECKS:
            more_checks, more_anomalies = run(sample)
            checks += more_checks
            anomalies += more_anomalies
    checks.sort(key=lambda c: ANALYSIS_CHECKS.index(c["check"]))
    anomalies.sort(key=lambda a: a["severity"] != "fail")
    return {
        "version": REPORT_VERSION,
        "mode": mode,
        "checks": checks,
        "anomalies": anomalies,
        "threshold_suggestions": threshold_suggestions(anomalies, profile),
        "metrics": _metrics(checks, anomalies),
    }


def threshold_suggestions(
    anomalies: Sequence[Anomaly], profile: ThresholdProfile
) -> list[ThresholdSuggestion]:
    """Profile values at which sparse source columns would pass (see the module docstring).

    Example:
        >>> from core.profiles import bundled_profiles
        >>> from specialists.analysis.model import Fix, anomaly
        >>> a = anomaly("null_rate", "memo", "fail", "", Fix(kind="k", detail=""),
        ...             source_empty_rate=0.25, transform_failed=0)
        >>> [s["suggested"] for s in threshold_suggestions([a], bundled_profiles()[1])]
        [0.25]
    """
    current = profile.analysis.null_rate_max
    found = []
    for a in anomalies:
        rate = float(a["evidence"].get("source_empty_rate", 0.0))
        if a["code"] != "null_rate" or rate <= current:
            continue
        failed = int(a["evidence"].get("transform_failed", 0))
        reason = f"{a['column']!r} is empty in the source on {rate:.1%} of the rows"
        if failed:
            reason += f"; the {failed} transform failures still need a pipeline fix"
        found.append(
            ThresholdSuggestion(
                field="analysis.null_rate_max",
                column=a["column"],
                current=current,
                suggested=math.ceil(rate * 100 - 1e-9) / 100,
                reason=reason,
            )
        )
    return found


def _metrics(checks: Sequence[Check], anomalies: Sequence[Anomaly]) -> dict[str, Any]:
    def values(name: str) -> list[float]:
        return [float(c["value"]) for c in checks if c["check"] == name and c["value"] is not None]

    nulls, dups, coverage = values("null_rate"), values("duplicate_keys"), values("domain_coverage")
    return {
        "checks": len(checks),
        "anomalies": len(anomalies),
        "fails": sum(a["severity"] == "fail" for a in anomalies),
        "warns": sum(a["severity"] == "warn" for a in anomalies),
        "coverage": coverage[0] if coverage else 0.0,
        "null_rate_max_seen": max(nulls) if nulls else None,
        "dup_key_rate": dups[0] if dups else None,
    }
