"""Pre-flight: what a migration will do, decided once and stored with the Migration Run (§14).

``preflight`` reads the run's Catalog and Mapping Plan and decides, recording each choice and why:

- **the pipelines**: accepted target columns only; a key column without an accepted mapping
  stops the migration (DETERMINISTIC_FAILURE naming it);
- **the key strategy** (§34): ``natural`` (one key column) or ``composite`` (several) from the
  target schema's key flags; a target with no key is refused, since Migration upserts by key and
  a surrogate is used only when the target requires one (it then marks that column as its key);
- **the strategy**: ELT (the pipelines compiled to SQL and run inside the database) when the
  source is a table in the same PostgreSQL database as the target and every pipeline compiles
  for it; ETL (Polars) otherwise;
- **the chunking**: ``batch_size`` from the Threshold Profile (``migration.batch_size``).

The spec is plain JSON; workers in other processes rebuild everything from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict

from core.errors import ContractError, DeterministicFailure

if TYPE_CHECKING:
    from core.contract import RunContract
    from core.target_schema import TargetSchema
    from specialists.migration.targets.base import TargetTable

__all__ = ["MigrationSpec", "SourceSpec", "preflight", "same_database"]

MONEY_FAMILIES = ("decimal",)


class SourceSpec(BaseModel):
    """Where the source rows are: a file with its standardization plan, or a SQL table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["file", "sql"]
    location: str  # an absolute file path, or a SQLAlchemy URL
    table: str
    standardization: dict[str, Any]
    sha256: str | None = None  # of the file as Ingest read it


class MigrationSpec(BaseModel):
    """Everything a worker needs to migrate one chunk, and what the Migration Run records."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    migration_id: str
    run_id: str
    attempt: int
    kind: Literal["migrate", "release"]
    strategy: Literal["etl", "elt"]
    strategy_reason: str
    key_strategy: dict[str, Any]
    source: SourceSpec
    target_location: str
    target_table: str
    columns: list[dict[str, Any]]  # [{name, type, key}] in target order
    pipelines: dict[str, dict[str, Any]]  # target column -> pipeline JSON (accepted only)
    batch_size: int
    validation_checks: list[str]
    money_columns: list[str]
    plan_hash: str
    policy_version: str
    #: For a release: the quarantined keys (JSON arrays) to migrate again.
    only_keys: list[str] | None = None

    def table(self) -> TargetTable:
        from specialists.migration.targets.base import TargetColumn, TargetTable

        columns = tuple(TargetColumn(c["name"], c["type"], bool(c["key"])) for c in self.columns)
        return TargetTable(self.target_table, columns, self.migration_id)

    @property
    def keys(self) -> list[str]:
        return [c["name"] for c in self.columns if c["key"]]


def same_database(a: str, b: str) -> bool:
    """Whether two SQLAlchemy URLs name the same PostgreSQL database (host, port, database).

    >>> same_database("postgresql://u@h:5432/db", "postgresql+psycopg://v@h/db")
    True
    >>> same_database("postgresql://h/db", "postgresql://h/other"), same_database("x", "y")
    (False, False)
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        ua, ub = make_url(a), make_url(b)
    except ArgumentError:
        return False
    if not (ua.drivername.startswith("postgres") and ub.drivername.startswith("postgres")):
        return False
    return (ua.host or "", ua.port or 5432, ua.database) == (
        ub.host or "",
        ub.port or 5432,
        ub.database,
    )


def _source(
    contract: RunContract, base: Path, catalog: Mapping[str, Any], table: str
) -> SourceSpec:
    entries = [e for e in catalog["tables"] if e["table"]["name"] == table]
    if not entries:
        raise DeterministicFailure(f"the Catalog has no table {table!r}, which the plan maps from")
    entry = entries[0]
    source = entry["source"]
    if contract.lhs.source.type == "file":
        location = Path(contract.lhs.location)
        location = location if location.is_absolute() else base / location
        if location.is_dir():
            location = location / source["file"]
        return SourceSpec(
            type="file",
            location=str(location.resolve()),
            table=table,
            standardization=entry["standardization"],
            sha256=source.get("sha256"),
        )
    from specialists.ingest.run import sql_location

    return SourceSpec(
        type="sql",
        location=sql_location(contract.lhs.location, base),
        table=source.get("table", table),
        standardization=entry["standardization"],
    )


def _strategy(
    source: SourceSpec, target_location: str, pipelines: Mapping[str, Any]
) -> tuple[Literal["etl", "elt"], str]:
    from specialists.migration.elt import elt_refusal

    if source.type != "sql" or not same_database(source.location, target_location):
        return "etl", "the source is not a table in the target's PostgreSQL database"
    refusal = elt_refusal(source, pipelines)
    if refusal is not None:
        return "etl", refusal
    return "elt", (
        "source and target are one PostgreSQL database and every pipeline compiles for it: "
        "the rows are transformed inside the database, read with the target's connection"
    )


def preflight(
    *,
    migration_id: str,
    run_id: str,
    attempt: int,
    contract: RunContract,
    base: Path,
    catalog: Mapping[str, Any],
    plan: Mapping[str, Any],
    plan_hash: str,
    target: TargetSchema,
    batch_size: int,
    validation_checks: list[str],
    policy_version: str,
    target_location: str,
) -> MigrationSpec:
    """The Migration Run's spec (see the module docstring)."""
    from specialists.mapping.plan import plan_pipelines

    if contract.mode != "data_mode":
        raise ContractError("Migration runs only in data_mode (§3)", field="mode")
    keys = list(target.keys)
    if not keys:
        raise DeterministicFailure(
            f"the target schema of {target.table} marks no key column: Migration upserts by key "
            "(§34); mark the natural key (or the surrogate the target requires) with key: true"
        )
    pipelines = {name: p.model_dump(mode="json") for name, p in plan_pipelines(plan).items()}
    missing = [k for k in keys if k not in pipelines]
    if missing:
        raise DeterministicFailure(
            f"the key column(s) {', '.join(missing)} of {target.table} have no accepted mapping: "
            "accept or fix them in the Mapping Plan before migrating"
        )
    table = plan.get("source_table")
    if not table:
        raise DeterministicFailure("the Mapping Plan names no source table")
    source = _source(contract, base, catalog, str(table))
    strategy, reason = _strategy(source, target_location, pipelines)
    inputs = [i["name"] if isinstance(i, dict) else i for k in keys for i in pipelines[k]["inputs"]]
    return MigrationSpec(
        migration_id=migration_id,
        run_id=run_id,
        attempt=attempt,
        kind="migrate",
        strategy=strategy,
        strategy_reason=reason,
        key_strategy={
            "kind": "natural" if len(keys) == 1 else "composite",
            "columns": keys,
            "source_columns": inputs,
            "why": "the target schema's key columns (§34: natural or composite keys preferred)",
        },
        source=source,
        target_location=target_location,
        target_table=target.table,
        columns=[{"name": c.name, "type": c.type, "key": c.key} for c in target.columns],
        pipelines=pipelines,
        batch_size=batch_size,
        validation_checks=validation_checks,
        money_columns=[
            c.name for c in target.columns if c.family in MONEY_FAMILIES and c.name in pipelines
        ],
        plan_hash=plan_hash,
        policy_version=policy_version,
    )
