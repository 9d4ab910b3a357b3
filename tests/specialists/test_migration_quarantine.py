"""Quarantine of a PostgreSQL migration (§37): unparseable dates, overflowing decimals and
foreign-key violations are held with their reason codes and masked previews, the rest is
promoted; after a fix ``release`` migrates the held rows, and only Operator and above may.

The helpers at the top (a run on a generated bank-transaction CSV, driven through the graph up
to Migration, and a PostgreSQL target of the test's own) are shared with
``test_migration_chaos.py``.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.db import Database
from core.settings import Settings
from tests.conftest import CONDUIT, ROOT, require

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
EXAMPLE = ROOT / "examples" / "bank_transactions"
HEADER = "Transaction ID,Posted Date,Payee,Email,Amount,Currency,Description,Category"
#: The target schema's columns as PostgreSQL types, for tables a test creates itself.
PG_COLUMNS = {
    "txn_id": "text",
    "posted_on": "date",
    "payee_name": "text",
    "payee_email": "text",
    "amount_usd": "numeric(12,2)",
    "currency": "text",
    "description": "text",
    "category": "text",
}


# -- shared helpers --------------------------------------------------------------------------


def source_line(
    i: int, *, date: str | None = None, amount: str | None = None, cur: str = "USD"
) -> str:
    day = date or f"2026-03-{i % 28 + 1:02d}"
    money = amount or f"{i % 1000 - 500}.25"
    return (
        f"T{i:07d},{day},Ana Lopez {i % 97},ana{i % 97}@example.com,{money},{cur},"
        f"CARD PURCHASE {i},groceries"
    )


def write_source(path: Path, rows: int, bad: dict[int, dict[str, str]] | None = None) -> Path:
    """``rows`` transactions ``T0000000``...; ``bad`` overrides fields of some of them."""
    bad = bad or {}
    lines = [HEADER, *(source_line(i, **bad.get(i, {})) for i in range(rows))]
    path.write_text("\n".join(lines) + "\n")
    return path


def source_key(i: int) -> str:
    """A row's source key as quarantine records write it."""
    return json.dumps([f"T{i:07d}"])


def migration_profile(db: Database, batch_size: int) -> str:
    """A stored threshold profile: lenient Domains gate, migration chunks of ``batch_size``."""
    from core.profiles import bundled_profiles
    from supervisor.reference import store_profile

    [base] = [p for p in bundled_profiles() if p.profile_id == "tp_default_v2"]
    profile = base.model_copy(
        update={
            "profile_id": f"tp_test_migration_{batch_size}",
            "domaining": base.domaining.model_copy(update={"borderline_share_max": 1.0}),
            "migration": base.migration.model_copy(update={"batch_size": batch_size}),
        }
    )
    with db.begin() as conn:
        store_profile(conn, profile)
    return profile.profile_id


def pg_error() -> str | None:
    try:
        import psycopg

        psycopg.connect(PG_URL, connect_timeout=3).close()
    except Exception as e:  # noqa: BLE001 - reported as the reason of the skip
        return str(e).splitlines()[0] if str(e) else type(e).__name__
    return None


@dataclass
class Pg:
    """The machine's PostgreSQL (``test`` database); the tables a test names are dropped after."""

    conn: Any
    tables: list[str] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)

    def table(self, prefix: str) -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        self.tables.append(name)
        return name

    def sql(self, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.conn.cursor() as cur:
            cur.execute(query, params)
            return list(cur.fetchall()) if cur.description else []

    def scalar(self, query: str, params: Sequence[Any] = ()) -> Any:
        return self.sql(query, params)[0][0]

    def checksum(self, table: str) -> tuple[int, str]:
        from specialists.migration.targets.postgres import PostgresTarget

        target = PostgresTarget(PG_URL)
        try:
            return target.checksum(table, ["txn_id"])
        finally:
            target.close()

    def definition(self, table: str) -> tuple[list[Any], list[Any], list[Any]]:
        """The table's columns, indexes and constraints, as the catalog shows them."""
        columns = self.sql(
            "SELECT attname, format_type(atttypid, atttypmod), attnotnull FROM pg_attribute"
            " WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
            (table,),
        )
        indexes = self.sql(
            "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = %s::regclass"
            " ORDER BY 1",
            (table,),
        )
        constraints = self.sql(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = %s::regclass ORDER BY 1",
            (table,),
        )
        return columns, indexes, constraints


@pytest.fixture
def pg() -> Iterator[Pg]:
    error = pg_error()
    require(error is None, f"PostgreSQL at {PG_URL} ({error})")
    import psycopg

    from specialists.migration.targets.base import TargetTable

    conn = psycopg.connect(PG_URL, autocommit=True)
    found = Pg(conn)
    try:
        yield found
    finally:
        # staging tables of every migration attempt of the test's runs, then its own tables
        bookkept = found.scalar("SELECT to_regclass('_conduit_chunks') IS NOT NULL")
        for run_id in found.runs:
            for attempt in range(1, 20):
                mid = f"{run_id}.m{attempt}"
                found.sql(f'DROP TABLE IF EXISTS "{TargetTable("x", (), mid).staging}"')
                if bookkept:
                    found.sql("DELETE FROM _conduit_chunks WHERE migration_id = %s", (mid,))
        for name in reversed(found.tables):
            found.sql(f'DROP TABLE IF EXISTS "{name}" CASCADE')
            if found.scalar("SELECT to_regclass('_conduit_promoted') IS NOT NULL"):
                found.sql("DELETE FROM _conduit_promoted WHERE table_name = %s", (name,))
        conn.close()


def contract_doc(tmp_path: Path, source: Path, table: str, profile_id: str) -> dict[str, Any]:
    """The example contract on ``source``, migrating into ``table`` of PostgreSQL."""
    schema = yaml.safe_load((EXAMPLE / "target_schema.yaml").read_text())
    schema["table"] = table
    schema_path = tmp_path / f"{table}.yaml"
    schema_path.write_text(yaml.safe_dump(schema))
    doc: dict[str, Any] = yaml.safe_load((EXAMPLE / "contract.yaml").read_text())
    doc["threshold_profile_id"] = profile_id
    doc["human_confirm_required"] = True
    doc["lhs"]["location"] = str(source)
    doc["rhs"]["schema_ref"] = str(schema_path)
    doc["rhs"]["location"] = PG_URL
    doc["audit_tags"] = [f"migration-test-{uuid.uuid4().hex[:8]}"]
    return doc


def graph_context(db: Database, settings: Settings, run_id: str, base: Path) -> Any:
    """The context ``conduit`` itself builds for the run (same manifest and pseudonym key)."""
    from supervisor.graph import context_for

    return context_for(db, run_id, base=base, home=settings.home, secret=None)


def run_to_migration(
    db: Database,
    settings: Settings,
    pg: Pg,
    tmp_path: Path,
    source: Path,
    table: str,
    profile_id: str,
) -> str:
    """A run on ``source`` taken through the gates before Analysis's (an Operator accepting) and
    held at the Analysis gate; its id. Nothing is migrated yet: the tests drive the migration
    themselves, with ``conduit migrations`` or the functions it calls (the graph's MIGRATION
    stage runs the same ones; ``tests/supervisor/test_migration_stage.py``)."""
    from specialists.migration import store
    from supervisor.graph import resume_run, start_run
    from supervisor.runs import create_run

    doc = contract_doc(tmp_path, source, table, profile_id)
    run_id = create_run(db, doc).run.run_id
    pg.runs.append(run_id)
    ctx = graph_context(db, settings, run_id, tmp_path)
    state = start_run(ctx, run_id)
    while state.get("status") == "held" and state["held"]["stage"].lower() != "analysis":
        state = resume_run(ctx, run_id, decision="accept", actor="op", role="operator")
    assert state.get("status") == "held" and state["held"]["stage"] == "analysis", state
    assert store.latest_migration(db, run_id) is None, "the graph migrated already"
    return run_id


def stage(db: Database, settings: Settings, run_id: str, base: Path, **kw: Any) -> dict[str, Any]:
    from core.contract import parse_contract
    from supervisor.migration import stage_migration
    from supervisor.runs import get_run

    ctx = graph_context(db, settings, run_id, base)
    return stage_migration(
        db,
        run_id,
        contract=parse_contract(get_run(db, run_id).contract),
        manifest=ctx.manifest,
        pii_key=ctx.pii_key,
        base=base,
        env={},
        **kw,
    )


def promote(db: Database, settings: Settings, run_id: str, base: Path, **kw: Any) -> dict[str, Any]:
    from supervisor.migration import promote as promote_run

    ctx = graph_context(db, settings, run_id, base)
    kw.setdefault("actor", "op")
    kw.setdefault("role", "operator")
    return promote_run(db, run_id, manifest=ctx.manifest, pii_key=ctx.pii_key, **kw)


def conduit(
    env: dict[str, str], *args: str, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CONDUIT), *args], env=env, capture_output=True, text=True, timeout=timeout
    )


# -- the tests -------------------------------------------------------------------------------

ROWS = 600
#: Seeded bad rows: index -> field overrides, and the reason code each must be held for.
BAD_DATE = {17: "2026-13-45", 230: "2026-02-30", 411: "not a date"}
BAD_AMOUNT = {44: "123456789012345.00", 399: "99999999999.99"}
BAD_FK = {5: "XXX", 301: "XXX", 590: "XXX"}
FK_AMOUNT = "4321.75"  # money on the foreign-key rows: reconciliation must discount it


def _bad_rows() -> dict[int, dict[str, str]]:
    bad: dict[int, dict[str, str]] = {}
    for i, d in BAD_DATE.items():
        bad.setdefault(i, {})["date"] = d
    for i, a in BAD_AMOUNT.items():
        bad.setdefault(i, {})["amount"] = a
    for i, c in BAD_FK.items():
        bad.setdefault(i, {}).update(cur=c, amount=FK_AMOUNT)
    return bad


def _reasons(records: list[dict[str, Any]]) -> dict[str, list[str]]:
    return {r["key"]: sorted(r["reason_codes"]) for r in records}


def test_quarantine_holds_bad_rows_then_release_after_fix(
    tmp_path: Path, db: Database, settings: Settings, cli_env: dict[str, str], pg: Pg
) -> None:
    from core.errors import PolicyBlock
    from supervisor.migration import export_quarantine, release

    profile = migration_profile(db, 100)
    parent = pg.table("currencies")
    table = pg.table("txn_q")
    pg.sql(f'CREATE TABLE "{parent}" (code text PRIMARY KEY)')
    pg.sql(f"INSERT INTO \"{parent}\" VALUES ('USD'), ('EUR')")
    columns = ", ".join(
        f"{c} {t}" + (f' REFERENCES "{parent}"(code)' if c == "currency" else "")
        for c, t in PG_COLUMNS.items()
    )
    pg.sql(f'CREATE TABLE "{table}" ({columns}, PRIMARY KEY (txn_id))')
    source = write_source(tmp_path / "txn.csv", ROWS, _bad_rows())
    run_id = run_to_migration(db, settings, pg, tmp_path, source, table, profile)

    staged = stage(db, settings, run_id, tmp_path)
    assert staged["status"] == "validated", staged["outcome"]["validations"]
    promoted = promote(db, settings, run_id, tmp_path)
    assert promoted["status"] == "promoted"

    expected = (
        {source_key(i): ["DATE_UNPARSEABLE"] for i in BAD_DATE}
        | {source_key(i): ["NUMBER_OVERFLOW"] for i in BAD_AMOUNT}
        | {source_key(i): ["FK_VIOLATION"] for i in BAD_FK}
    )
    records = export_quarantine(db, run_id, actor="op", role="operator")
    assert _reasons(records) == expected
    assert len(records) == len(expected)
    by_key = {r["key"]: r for r in records}
    for i in [*BAD_DATE, *BAD_AMOUNT, *BAD_FK]:
        record = by_key[source_key(i)]
        before, after = record["masked_preview_before"], record["masked_preview_after"]
        assert before["email"] and before["email"] != f"ana{i % 97}@example.com", before
        assert after["payee_email"] != f"ana{i % 97}@example.com", after
        assert f"ana{i % 97}@example.com" not in json.dumps(record)
    assert pg.scalar(f'SELECT count(*) FROM "{table}"') == ROWS - len(expected)
    held_ids = [f"T{i:07d}" for i in [*BAD_DATE, *BAD_AMOUNT, *BAD_FK]]
    assert pg.scalar(f'SELECT count(*) FROM "{table}" WHERE txn_id = ANY(%s)', (held_ids,)) == 0

    # the CLI export says the same, to an Operator; a Viewer or Analyst is blocked
    out = conduit(
        cli_env, "migrations", "quarantine", run_id, "--actor", "op", "--role", "operator"
    )
    assert out.returncode == 0, out.stderr
    assert _reasons(json.loads(out.stdout)) == expected
    for role in ("viewer", "analyst"):
        for command in ("quarantine", "release"):
            blocked = (
                conduit(
                    cli_env,
                    "migrations",
                    command,
                    run_id,
                    "--actor",
                    "v",
                    "--role",
                    role,
                    "--base",
                    str(tmp_path),
                )
                if command == "release"
                else conduit(cli_env, "migrations", command, run_id, "--actor", "v", "--role", role)
            )
            assert blocked.returncode != 0, (role, command, blocked.stdout)
            assert "POLICY_BLOCK" in blocked.stdout + blocked.stderr, (role, command)
        with pytest.raises(PolicyBlock):
            export_quarantine(db, run_id, actor="v", role=role)
        ctx = graph_context(db, settings, run_id, tmp_path)
        with pytest.raises(PolicyBlock):
            release(db, run_id, manifest=ctx.manifest, pii_key=ctx.pii_key, actor="v", role=role)
    assert _reasons(export_quarantine(db, run_id, actor="op", role="operator")) == expected

    # the fix: valid dates and amounts in the source, the missing currency in the parent table
    write_source(source, ROWS, {i: {"cur": "XXX", "amount": FK_AMOUNT} for i in BAD_FK})
    pg.sql(f"INSERT INTO \"{parent}\" VALUES ('XXX')")
    done = conduit(
        cli_env,
        "migrations",
        "release",
        run_id,
        "--actor",
        "op",
        "--role",
        "operator",
        "--base",
        str(tmp_path),
        "--json",
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["released"], summary["still_quarantined"]) == (len(expected), 0)
    assert export_quarantine(db, run_id, actor="op", role="operator") == []
    assert pg.scalar(f'SELECT count(*) FROM "{table}"') == ROWS
    rows = pg.sql(
        f'SELECT txn_id, posted_on::text, amount_usd::text, currency FROM "{table}"'
        " WHERE txn_id = ANY(%s) ORDER BY txn_id",
        (held_ids,),
    )
    assert rows == sorted(
        (
            f"T{i:07d}",
            f"2026-03-{i % 28 + 1:02d}",
            FK_AMOUNT if i in BAD_FK else f"{i % 1000 - 500}.25",
            "XXX" if i in BAD_FK else "USD",
        )
        for i in [*BAD_DATE, *BAD_AMOUNT, *BAD_FK]
    )
    released = export_quarantine(db, run_id, actor="op", role="operator", held_only=False)
    assert {r["key"] for r in released if r["status"] == "released"} >= set(expected)


def test_fk_violation_with_money_still_validates(
    tmp_path: Path, db: Database, settings: Settings, pg: Pg
) -> None:
    profile = migration_profile(db, 100)
    parent = pg.table("currencies")
    table = pg.table("txn_fkm")
    pg.sql(f'CREATE TABLE "{parent}" (code text PRIMARY KEY)')
    pg.sql(f"INSERT INTO \"{parent}\" VALUES ('USD')")
    columns = ", ".join(
        f"{c} {t}" + (f' REFERENCES "{parent}"(code)' if c == "currency" else "")
        for c, t in PG_COLUMNS.items()
    )
    pg.sql(f'CREATE TABLE "{table}" ({columns}, PRIMARY KEY (txn_id))')
    source = write_source(tmp_path / "txn.csv", 50, {7: {"cur": "XXX", "amount": "99999.00"}})
    run_id = run_to_migration(db, settings, pg, tmp_path, source, table, profile)
    staged = stage(db, settings, run_id, tmp_path)
    assert staged["outcome"]["validations"]["fk_check"]["quarantined"] == 1
    assert staged["status"] == "validated", staged["outcome"]["validations"]["money"]
