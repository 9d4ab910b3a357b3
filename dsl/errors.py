"""Errors of the Transform DSL: DSL_REJECT, located by op index, JSON pointer and column.

DslReject (core.errors, code DSL_REJECT)
├── DslError            one problem: ``op_index``, ``pointer`` (RFC 6901), ``column``
└── DslErrors           several problems, when validation is asked to collect them all
NotExpressible          an op has no exact form in a SQL dialect: the planner picks ETL
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import DslReject

__all__ = ["DslIssue", "DslError", "DslErrors", "NotExpressible"]


@dataclass(frozen=True)
class DslIssue:
    """Where a pipeline is wrong and why."""

    message: str
    pointer: str
    op_index: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = f"op {self.op_index}" if self.op_index is not None else "pipeline"
        col = f" (column {self.column})" if self.column else ""
        return f"{where}{col} at {self.pointer or '/'}: {self.message}"


class DslError(DslReject):
    """One DSL problem."""

    def __init__(self, issue: DslIssue) -> None:
        super().__init__(str(issue), field=issue.pointer)
        self.issue = issue
        self.op_index = issue.op_index
        self.pointer = issue.pointer
        self.column = issue.column


class DslErrors(DslReject):
    """Every problem of a pipeline, in order."""

    def __init__(self, issues: list[DslIssue]) -> None:
        text = "; ".join(str(i) for i in issues)
        super().__init__(f"{len(issues)} problems: {text}", field=issues[0].pointer)
        self.issues = issues


class NotExpressible(DslReject):
    """An op cannot be compiled exactly for a backend; the migration must run it in Polars."""

    def __init__(self, op: str, dialect: str, why: str) -> None:
        super().__init__(f"{op} is not expressible in {dialect}: {why}", field=op)
        self.op = op
        self.dialect = dialect
