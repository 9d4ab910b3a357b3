"""What Mapping knows of each column, read from the artifacts of the stages before it.

A :class:`SourceColumn` joins the Catalog entry of a source column (its Standard Schema name, the
header the source wrote, the inferred type, shapes), its masked Sample Pack values (data_mode
only) and its Domain Assignment (domain, band, candidate scores). A :class:`TargetSpec` joins a
target column of the schema with the domain assignment of its name and description. Mapping reads
artifact bodies only: it never imports another specialist.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.target_schema import TargetColumn, TargetSchema
from policy.pii.detect import WHOLE_COLUMN_MODES

__all__ = ["SourceColumn", "TargetSpec", "source_columns", "target_specs"]


@dataclass(frozen=True)
class SourceColumn:
    name: str  # the Standard Schema name pipelines read (``posting_date``)
    header: str  # what the source wrote (``Posting Date``)
    type: str  # the catalog's inferred type (``date``, ``decimal(6,2)``, ``string``)
    table: str = "source"
    unique: bool = False
    nulls: int = 0
    shapes: tuple[tuple[str, int], ...] = ()
    values: tuple[str | None, ...] = ()  # standardized, masked sample values (data_mode)
    masked_as: str | None = None  # the entity when the Policy Engine masked the whole column
    domain: str = "unknown"
    band: str = "low"
    domains: Mapping[str, float] = field(default_factory=dict)  # candidate -> score

    @property
    def family(self) -> str:
        return self.type.split("(")[0]


@dataclass(frozen=True)
class TargetSpec:
    column: TargetColumn
    domain: str = "unknown"
    domains: Mapping[str, float] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.column.name

    @property
    def family(self) -> str:
        return self.column.family


def _by_column(records: Sequence[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    return {r["column"]: r for r in records}


def _candidates(record: Mapping[str, Any] | None) -> dict[str, float]:
    if not record:
        return {}
    return {c["domain_id"]: float(c["score"]) for c in record.get("candidates", [])}


def source_columns(
    catalog_body: Mapping[str, Any],
    sample_body: Mapping[str, Any] | None,
    assignments_body: Mapping[str, Any] | None,
) -> list[SourceColumn]:
    """The source columns of every table of a Catalog, with samples and domains when given."""
    samples = {t["table"]: t for t in (sample_body or {}).get("tables", [])}
    domains = _by_column((assignments_body or {}).get("source", []))
    out = []
    for entry in catalog_body["tables"]:
        table = entry["table"]
        pack = samples.get(table["name"])
        for column in table["columns"]:
            record = domains.get(column["source_name"])
            masking = (pack or {}).get("masking", {}).get(column["name"]) or {}
            out.append(
                SourceColumn(
                    name=column["name"],
                    header=column["source_name"],
                    type=column["type"],
                    table=table["name"],
                    unique=bool(column.get("unique")),
                    nulls=int(column.get("nulls") or 0),
                    shapes=tuple((str(s), int(n)) for s, n in column.get("shapes", [])),
                    values=tuple(pack["columns"].get(column["name"], [])) if pack else (),
                    masked_as=masking.get("entity")
                    if masking.get("mode") in WHOLE_COLUMN_MODES
                    else None,
                    domain=(record or {}).get("domain_id") or "unknown",
                    band=(record or {}).get("band") or "low",
                    domains=_candidates(record),
                )
            )
    return out


def target_specs(
    target: TargetSchema, assignments_body: Mapping[str, Any] | None
) -> list[TargetSpec]:
    """The target columns with the domains their names and descriptions were given."""
    domains = _by_column((assignments_body or {}).get("target", []))
    return [
        TargetSpec(
            column=c,
            domain=(domains.get(c.name) or {}).get("domain_id") or "unknown",
            domains=_candidates(domains.get(c.name)),
        )
        for c in target.columns
    ]
