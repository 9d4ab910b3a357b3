"""Ingest of file sources, as one idempotent step of a run: Catalog v1 and Sample Pack v1.

``ingest_files`` reads the Run Contract's LHS (one file, or every table file of a folder),
stores the Catalog (every mode) and, in ``data_mode``, the masked Sample Pack as content-hashed
artifacts of the run, and appends one INGEST ledger event naming both hashes. Run it twice and
nothing is written twice: artifacts are content-addressed, and the event is appended only when
the run has no INGEST event with the same outputs yet. (The LangGraph node of issue 6 calls it.)
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from artifacts.store import PostgresArtifactStore
from core.canonical import content_hash
from core.contract import RunContract, SampleCaps
from core.errors import ContractError
from core.progress import ProgressFn, no_progress
from ledger.events import LedgerEvent
from ledger.store import PostgresLedger
from policy.manifest import PolicyManifest
from specialists.ingest.catalog import catalog_table
from specialists.ingest.files import read_file, sniff
from specialists.ingest.sample import sample_pack
from specialists.ingest.shim import apply_plan, standardization_plan

if TYPE_CHECKING:
    import polars as pl

    from core.db import Database
    from specialists.ingest.sql import SourceTable

__all__ = [
    "IngestOutcome",
    "contract_seed",
    "file_bodies",
    "ingest_files",
    "ingest_sql",
    "source_bodies",
    "source_files",
    "sql_location",
    "standard_frame",
    "standard_sql_frame",
]

_TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".parquet", ".gz")
#: Used when a data_mode contract names no sample caps (the policy's caps still bound them).
DEFAULT_CAPS = SampleCaps(rows_max=1000, bytes_max=4 * 1024 * 1024)


@dataclass(frozen=True)
class IngestOutcome:
    catalog_hash: str
    sample_hash: str | None
    tables: int
    rows: int
    seed: int
    ragged_rows: int = 0  # rows padded or cut on reading (files only)


def contract_seed(contract: RunContract) -> int:
    """The sampling seed a contract implies: the same contract samples the same rows."""
    return int(content_hash(contract.model_dump(mode="python"))[:12], 16)


def source_files(contract: RunContract, base: Path) -> list[Path]:
    """The table files of the contract's LHS: one file, or every table file of a folder."""
    if contract.lhs.source.type != "file":
        raise ContractError("this step ingests files; the LHS is SQL", field="lhs.source.type")
    path = Path(contract.lhs.location)
    path = path if path.is_absolute() else base / path
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in _TABLE_SUFFIXES)
        if not files:
            raise ContractError(f"{path} holds no table file", field="lhs.location")
        return files
    if not path.exists():
        raise ContractError(f"{path} does not exist", field="lhs.location")
    return [path]


def _table_name(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".csv", ".tsv", ".txt", ".parquet"):
        name = name.removesuffix(suffix)
    return name


def ingest_files(
    db: Database,
    *,
    run_id: str,
    contract: RunContract,
    manifest: PolicyManifest,
    key: bytes,
    base: Path,
    seed: int | None = None,
    progress: ProgressFn = no_progress,
) -> IngestOutcome:
    """Catalog (and, in ``data_mode``, Sample Pack) of the contract's files, stored once."""
    seed = contract_seed(contract) if seed is None else seed
    catalogs, samples, rows = _file_bodies(contract, manifest, key, base, seed)
    return _store(db, run_id, manifest, catalogs, samples, seed, rows)


def standard_frame(path: Path, standardization: Mapping[str, Any]) -> pl.DataFrame:
    """The whole table of one source file in its Standard Schema: read as Ingest read it, with
    the Catalog's standardization plan (``standardization``) applied. What executors run
    pipelines over (the golden eval's cell accuracy; Migration's ETL)."""
    frame = read_file(path, sniff(path)).frame
    return apply_plan(frame, dict(standardization))[0]


def standard_sql_frame(url: str, table: str, standardization: Mapping[str, Any]) -> pl.DataFrame:
    """The whole of one SQL source table in its Standard Schema, read through the read-only
    connection as Ingest read it (text columns, key order), with its standardization plan."""
    from specialists.ingest.sql import ReadOnlySource

    with ReadOnlySource(url) as source:
        frame = source.read(table)
    return apply_plan(frame, dict(standardization))[0]


def file_bodies(
    contract: RunContract, manifest: PolicyManifest, key: bytes, base: Path
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The Catalog and Sample Pack bodies ``ingest_files`` would store, without storing them
    (the golden eval scores domaining on them in-process)."""
    seed = contract_seed(contract)
    catalogs, samples, _ = _file_bodies(contract, manifest, key, base, seed)
    return _bodies(catalogs, samples, seed)


def _bodies(
    catalogs: list[dict[str, Any]], samples: list[dict[str, Any]], seed: int
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    catalog_body = {"version": 1, "tables": catalogs}
    sample_body = {"version": 1, "seed": seed, "tables": samples} if samples else None
    return catalog_body, sample_body


def _file_bodies(
    contract: RunContract, manifest: PolicyManifest, key: bytes, base: Path, seed: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    catalogs: list[dict[str, Any]] = []
    samples: list[dict[str, Any]] = []
    rows = 0
    for path in source_files(contract, base):
        fmt = sniff(path)
        result = read_file(path, fmt)
        table = catalog_table(_table_name(path), result.frame, result.source_headers)
        rows += table.rows
        catalogs.append(
            {
                "table": table.model_dump(mode="json"),
                "standardization": standardization_plan(table),
                "source": {
                    "file": path.name,
                    "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                    "format": fmt.__dict__,
                    "ragged_rows": result.ragged_rows,
                },
            }
        )
        if contract.mode == "data_mode":
            pack = sample_pack(
                manifest,
                mode=contract.mode,
                frame=result.frame,
                catalog=table,
                caps=contract.sample_caps or DEFAULT_CAPS,
                seed=seed,
                key=key,
            )
            samples.append(pack.model_dump(mode="json"))
    return catalogs, samples, rows


def ingest_sql(
    db: Database,
    *,
    run_id: str,
    contract: RunContract,
    manifest: PolicyManifest,
    key: bytes,
    env: Mapping[str, str],
    base: Path | None = None,
    seed: int | None = None,
    progress: ProgressFn = no_progress,
) -> IngestOutcome:
    """Catalog (and Sample Pack) of every table of a read-only SQL source.

    The location is a database URL without a password, or ``env:VARNAME`` naming the variable
    that holds the full URL; what the catalog records is the URL with its password hidden. A
    relative SQLite or DuckDB file path starts from ``base`` (the contract's folder), like a
    relative file source.
    """
    seed = contract_seed(contract) if seed is None else seed
    catalogs, samples, rows = _sql_bodies(contract, manifest, key, env, base, seed, progress)
    return _store(db, run_id, manifest, catalogs, samples, seed, rows)


def _sql_bodies(
    contract: RunContract,
    manifest: PolicyManifest,
    key: bytes,
    env: Mapping[str, str],
    base: Path | None,
    seed: int,
    progress: ProgressFn,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    from specialists.ingest.sql import ReadOnlySource

    location = sql_location(contract.lhs.location, base, env)
    catalogs: list[dict[str, Any]] = []
    samples: list[dict[str, Any]] = []
    rows = 0
    with ReadOnlySource(location) as source:
        tables = source.tables()
        for number, table in enumerate(tables):
            progress("ingest", f"table {table.name}", number, len(tables), "tables", force=True)
            frame = source.read(table.name, progress=_rows_read(progress, table))
            entry = catalog_table(table.name, frame, list(frame.columns))
            rows += entry.rows
            catalogs.append(
                {
                    "table": entry.model_dump(mode="json"),
                    "standardization": standardization_plan(entry),
                    "source": {
                        "sql": source.display_url,
                        "dialect": source.dialect,
                        "table": table.name,
                        "sha256": content_hash(frame.to_dicts()),
                        "primary_key": table.primary_key,
                        "foreign_keys": table.foreign_keys,
                        "row_estimate": table.row_estimate,
                    },
                }
            )
            if contract.mode == "data_mode":
                pack = sample_pack(
                    manifest,
                    mode=contract.mode,
                    frame=frame,
                    catalog=entry,
                    caps=contract.sample_caps or DEFAULT_CAPS,
                    seed=seed,
                    key=key,
                )
                samples.append(pack.model_dump(mode="json"))
    return catalogs, samples, rows


def source_bodies(
    contract: RunContract,
    manifest: PolicyManifest,
    key: bytes,
    base: Path,
    env: Mapping[str, str] | None = None,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The Catalog and Sample Pack bodies Ingest would store for a file or SQL source, without
    storing them (``conduit match`` ranks columns on them)."""
    if contract.lhs.source.type != "sql":
        return file_bodies(contract, manifest, key, base)
    seed = contract_seed(contract)
    catalogs, samples, _ = _sql_bodies(contract, manifest, key, env or {}, base, seed, no_progress)
    return _bodies(catalogs, samples, seed)


def sql_location(
    location: str,
    base: Path | None,
    env: Mapping[str, str] | None = None,
    field: str = "lhs.location",
) -> str:
    """A contract's SQL location as a URL: ``env:NAME`` read from the environment, a relative
    SQLite/DuckDB file resolved against ``base``."""
    if location.startswith("env:"):
        name = location.removeprefix("env:")
        if not (env or {}).get(name):
            raise ContractError(f"the environment variable {name} is not set", field=field)
        location = (env or {})[name]
    return location if base is None else _from_base(location, base)


def _from_base(location: str, base: Path) -> str:
    """``location`` with a relative SQLite/DuckDB database file resolved against ``base``.

    >>> _from_base("sqlite:///data/gl.db", Path("/srv/run"))
    'sqlite:////srv/run/data/gl.db'
    >>> _from_base("duckdb:///:memory:", Path("/srv")), _from_base("sqlite:////abs.db", Path("/x"))
    ('duckdb:///:memory:', 'sqlite:////abs.db')
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(location)
    except ArgumentError:
        return location  # ReadOnlySource says what is wrong with it
    database = url.database
    if not url.drivername.startswith(("sqlite", "duckdb")) or not database:
        return location
    if database == ":memory:" or Path(database).is_absolute():
        return location
    return url.set(database=str(base / database)).render_as_string(hide_password=False)


def _rows_read(progress: ProgressFn, table: SourceTable) -> Callable[[int], None]:
    """The per-chunk callback of a SQL read, reporting rows read of the table's estimate."""

    def report(rows: int) -> None:
        progress("ingest", f"reading {table.name}", rows, max(table.row_estimate, rows), "rows")

    return report


def _store(
    db: Database,
    run_id: str,
    manifest: PolicyManifest,
    catalogs: list[dict[str, Any]],
    samples: list[dict[str, Any]],
    seed: int,
    rows: int,
) -> IngestOutcome:
    catalog_body, sample_body = _bodies(catalogs, samples, seed)
    with db.begin() as conn:
        store = PostgresArtifactStore(conn)
        catalog = store.put("catalog", catalog_body, run_id=run_id)
        sample = store.put("sample_pack", sample_body, run_id=run_id) if sample_body else None
        outputs = content_hash([catalog.hash, sample.hash if sample else None])
        ledger = PostgresLedger(conn)
        if not any(
            e.stage == "INGEST" and e.outputs_hash == outputs for e in ledger.events(run_id)
        ):
            ledger.append(
                LedgerEvent(
                    run_id=run_id,
                    stage="INGEST",
                    decision="accept",
                    inputs_hash=content_hash([c["source"]["sha256"] for c in catalogs]),
                    outputs_hash=outputs,
                    pii_mask_applied=bool(samples),
                    policy_version=manifest.version,
                )
            )
    ragged = sum(int(c["source"].get("ragged_rows", 0)) for c in catalogs)
    return IngestOutcome(
        catalog.hash, sample.hash if sample else None, len(catalogs), rows, seed, ragged
    )
