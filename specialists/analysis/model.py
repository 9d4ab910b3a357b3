"""The records of an Analysis Report v1: checks, anomalies, recommended fixes, suggestions.

Plain TypedDicts, because the report is a JSON artifact body: what the checks build is what is
hashed and stored. Every check that does not pass comes with one anomaly whose ``severity`` is
the check's ``status``, so the report's ``metrics.fails``/``metrics.warns`` count either.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

__all__ = [
    "ANALYSIS_CHECKS",
    "Anomaly",
    "Check",
    "Fix",
    "Severity",
    "Status",
    "ThresholdSuggestion",
    "anomaly",
    "check",
]

Status = Literal["pass", "warn", "fail"]
Severity = Literal["warn", "fail"]

#: Every check the specialist runs, in report order. metadata_only runs the first six;
#: data_mode runs all of them.
ANALYSIS_CHECKS: tuple[str, ...] = (
    # metadata_only and data_mode: logical consistency, coverage, feasibility
    "key_mapped",
    "source_fanout",
    "type_feasibility",
    "domain_coverage",
    "source_usage",
    "transform_feasibility",
    # data_mode only, on the transformed sample
    "output_coverage",
    "null_rate",
    "duplicate_keys",
    "unit_scale",
    "future_dates",
    "distribution_shift",
    "date_order",
    "debit_credit_exclusive",
)


class Fix(TypedDict):
    """A recommended fix: its kind, in words, and optionally DSL ops to stage."""

    kind: str
    detail: str
    dsl: NotRequired[list[dict[str, Any]]]
    columns: NotRequired[list[str]]


class Check(TypedDict):
    """One check on one column (``column`` is None for a table-wide check)."""

    check: str
    column: str | None
    status: Status
    value: Any
    threshold: Any
    detail: NotRequired[dict[str, Any]]


class Anomaly(TypedDict):
    """What is wrong, how bad, how to fix it, and the evidence a person can check."""

    code: str
    column: str | None
    severity: Severity
    message: str
    recommended_fix: Fix
    evidence: dict[str, Any]


class ThresholdSuggestion(TypedDict):
    """A Threshold Profile field and the value at which the observed data would pass."""

    field: str
    column: str | None
    current: float
    suggested: float
    reason: str


def check(
    name: str,
    column: str | None,
    status: Status,
    value: Any,
    threshold: Any,
    **detail: Any,
) -> Check:
    """Build a check record; extra keyword arguments go to its ``detail``.

    Example:
        >>> check("null_rate", "amount", "warn", 0.05, 0.02, sparse=True)["detail"]
        {'sparse': True}
    """
    assert name in ANALYSIS_CHECKS, name
    record = Check(check=name, column=column, status=status, value=value, threshold=threshold)
    if detail:
        record["detail"] = detail
    return record


def anomaly(
    code: str,
    column: str | None,
    severity: Severity,
    message: str,
    fix: Fix,
    **evidence: Any,
) -> Anomaly:
    """Build an anomaly record; keyword arguments are its evidence."""
    return Anomaly(
        code=code,
        column=column,
        severity=severity,
        message=message,
        recommended_fix=fix,
        evidence=evidence,
    )
