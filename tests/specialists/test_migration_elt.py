"""ELT migrations (§14): a source table in the target's PostgreSQL database is migrated by the
compiled pipelines inside the database, and the result is the one ETL gives for the same rows.

Each test has a database of its own on the machine's PostgreSQL (Ingest catalogs every table
of a SQL source, so the source database holds the source table and nothing else).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.db import Database
from core.settings import Settings
from tests.conftest import require
from tests.specialists.test_migration_quarantine import (
    EXAMPLE,
    HEADER,
    PG_URL,
    graph_context,
    migration_profile,
    pg_error,
    promote,
    source_line,
    stage,
)

ROWS = 2_400
BATCH = 500
BAD = {
    17: {"date": "2026-13-45"},
    230: {"date": "not a date"},
    44: {"amount": "123456789012345.00"},
    1999: {"amount": "12.5x"},
}


class Scratch:
    """A database of the test's own on the machine's PostgreSQL, dropped afterwards."""

    def __init__(self) -> None:
        import psycopg

        self.name = f"conduit_elt_{uuid.uuid4().hex[:10]}"
        self._admin = psycopg.connect(PG_URL, autocommit=True)
        self._admin.execute(f'CREATE DATABASE "{self.name}"')
        self.url = PG_URL.rsplit("/", 1)[0] + "/" + self.name
        self.conn = psycopg.connect(self.url, autocommit=True)

    def sql(self, query: str, params: Any = ()) -> list[tuple[Any, ...]]:
        with self.conn.cursor() as cur:
            cur.execute(query, params)
            return list(cur.fetchall()) if cur.description else []

    def close(self) -> None:
        self.conn.close()
        self._admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self._admin.close()


@pytest.fixture
def scratch() -> Iterator[Scratch]:
    error = pg_error()
    require(error is None, f"PostgreSQL at {PG_URL} ({error})")
    found = Scratch()
    try:
        yield found
    finally:
        found.close()


def _lines(rows: int, bad: dict[int, dict[str, str]]) -> list[str]:
    return [source_line(i, **bad.get(i, {})) for i in range(rows)]


def _source_table(scratch: Scratch, lines: list[str], *, key: bool = True) -> None:
    """The lines as a raw landing table: text columns named as the CSV's header."""
    names = HEADER.split(",")
    columns = ", ".join(f'"{n}" text' for n in names)
    pk = ', PRIMARY KEY ("Transaction ID")' if key else ""
    scratch.sql(f"CREATE TABLE txn_landing ({columns}{pk})")
    with scratch.conn.cursor() as cur, cur.copy("COPY txn_landing FROM STDIN (FORMAT csv)") as copy:
        copy.write("\n".join(lines) + "\n")


def _contract(
    tmp_path: Path, lhs: dict[str, Any], target_url: str, table: str, profile: str
) -> Any:
    schema = yaml.safe_load((EXAMPLE / "target_schema.yaml").read_text()) | {"table": table}
    schema_path = tmp_path / f"{table}.yaml"
    schema_path.write_text(yaml.safe_dump(schema))
    doc: dict[str, Any] = yaml.safe_load((EXAMPLE / "contract.yaml").read_text())
    doc |= {"threshold_profile_id": profile, "human_confirm_required": True, "lhs": lhs}
    doc["rhs"] |= {"location": target_url, "schema_ref": str(schema_path)}
    doc["audit_tags"] = [f"elt-test-{uuid.uuid4().hex[:8]}"]
    return doc


def _run(db: Database, settings: Settings, tmp_path: Path, doc: dict[str, Any]) -> str:
    """A run taken through every gate before Migration (an Operator accepting); its id."""
    from supervisor.graph import resume_run, start_run
    from supervisor.runs import create_run

    run_id = create_run(db, doc).run.run_id
    ctx = graph_context(db, settings, run_id, tmp_path)
    state = start_run(ctx, run_id)
    while state.get("status") == "held" and state["held"]["stage"].lower() != "migration":
        state = resume_run(ctx, run_id, decision="accept", actor="op", role="operator")
    assert state.get("status") in ("completed", "held"), state
    return run_id


def _migrate(db: Database, settings: Settings, run_id: str, base: Path, **kw: Any) -> Any:
    staged = stage(db, settings, run_id, base, **kw)
    assert staged["status"] == "validated", staged["outcome"]["validations"]
    return staged, promote(db, settings, run_id, base)


def _table(scratch: Scratch, table: str) -> list[tuple[Any, ...]]:
    return scratch.sql(f'SELECT * FROM "{table}" ORDER BY txn_id')


def _held(db: Database, run_id: str) -> dict[str, list[str]]:
    from supervisor.migration import export_quarantine

    records = export_quarantine(db, run_id, actor="op", role="operator")
    return {r["key"]: sorted(r["reason_codes"]) for r in records}


def test_elt_gives_the_rows_etl_gives(
    tmp_path: Path, db: Database, settings: Settings, scratch: Scratch
) -> None:
    profile = migration_profile(db, BATCH)
    lines = _lines(ROWS, BAD)
    _source_table(scratch, lines)
    lhs_sql = {"source": {"type": "sql"}, "location": scratch.url}
    elt_run = _run(
        db, settings, tmp_path, _contract(tmp_path, lhs_sql, scratch.url, "txn_elt", profile)
    )
    csv = tmp_path / "txn.csv"
    csv.write_text("\n".join([HEADER, *lines]) + "\n")
    lhs_file = {"source": {"type": "file"}, "location": str(csv)}
    etl_run = _run(
        db, settings, tmp_path, _contract(tmp_path, lhs_file, scratch.url, "txn_etl", profile)
    )

    elt_staged, elt_promoted = _migrate(db, settings, elt_run, tmp_path)
    etl_staged, _ = _migrate(db, settings, etl_run, tmp_path)
    assert elt_staged["strategy"] == "elt", elt_staged["strategy_reason"]
    assert etl_staged["strategy"] == "etl"
    # key ranges of BATCH rows, one range past the last bound, and the NULL-key chunk
    assert len(elt_staged["chunks"]) == ROWS // BATCH + 2
    assert elt_promoted["outcome"]["promotion"]["mode"] == "swap"

    rows = _table(scratch, "txn_elt")
    assert rows == _table(scratch, "txn_etl")
    assert len(rows) == ROWS - len(BAD)
    expected = {
        json.dumps([f"T{17:07d}"]): ["DATE_UNPARSEABLE"],
        json.dumps([f"T{230:07d}"]): ["DATE_UNPARSEABLE"],
        json.dumps([f"T{44:07d}"]): ["NUMBER_OVERFLOW"],
        json.dumps([f"T{1999:07d}"]): ["NUMBER_UNPARSEABLE"],
    }
    assert _held(db, elt_run) == expected == _held(db, etl_run)
    validations = elt_staged["outcome"]["validations"]
    assert validations["money"]["ok"] and validations["checksum"]["ok"], validations

    # a fresh attempt on unchanged rows: every chunk a no-op, the table as it was
    again, _ = _migrate(db, settings, elt_run, tmp_path, fresh=True)
    assert {c["status"] for c in again["chunks"]} == {"noop"}
    assert _table(scratch, "txn_elt") == rows


def test_elt_holds_null_and_duplicate_keys(
    tmp_path: Path, db: Database, settings: Settings, scratch: Scratch
) -> None:
    profile = migration_profile(db, BATCH)
    lines = _lines(1_200, {})
    lines[600] = lines[601]  # T0000601 twice
    lines[900] = "," + lines[900].split(",", 1)[1]  # no transaction id
    _source_table(scratch, lines, key=False)
    lhs = {"source": {"type": "sql"}, "location": scratch.url}
    run_id = _run(db, settings, tmp_path, _contract(tmp_path, lhs, scratch.url, "txn_k", profile))
    staged, _ = _migrate(db, settings, run_id, tmp_path)
    assert staged["strategy"] == "elt", staged["strategy_reason"]
    held = _held(db, run_id)
    assert held[json.dumps([f"T{601:07d}"])] == ["KEY_DUPLICATE"]
    assert held[json.dumps([None])] == ["KEY_NULL"]
    count = scratch.sql('SELECT count(*), count(DISTINCT txn_id) FROM "txn_k"')
    assert count == [(1_197, 1_197)]


def test_a_typed_source_column_runs_as_etl_and_says_why(
    tmp_path: Path, db: Database, settings: Settings, scratch: Scratch
) -> None:
    profile = migration_profile(db, BATCH)
    _source_table(scratch, _lines(200, {}))
    # timestamptz prints differently in PostgreSQL than through the driver Ingest read it with
    scratch.sql(
        'ALTER TABLE txn_landing ALTER COLUMN "Description" TYPE timestamptz'
        " USING timestamptz '2026-03-01 10:00:00.5+00'"
    )
    lhs = {"source": {"type": "sql"}, "location": scratch.url}
    run_id = _run(db, settings, tmp_path, _contract(tmp_path, lhs, scratch.url, "txn_t", profile))
    staged = stage(db, settings, run_id, tmp_path)
    assert staged["strategy"] == "etl"
    assert "Description" in staged["strategy_reason"], staged["strategy_reason"]
    assert "timestamp with time zone" in staged["strategy_reason"]
