"""A PostgreSQL migration survives SIGKILL anywhere and racing processes, a failed promotion
leaves the final table as it was, and migrating unchanged data again changes nothing (§14, §37).

The 200,000-row source is generated once per module; every run of it migrates into a table of
its own, compared with a reference table migrated without interruption.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from core.db import Database
from core.settings import Settings
from tests.conftest import CONDUIT, require
from tests.specialists.test_migration_quarantine import (
    PG_COLUMNS,
    PG_URL,
    Pg,
    conduit,
    graph_context,
    migration_profile,
    pg,
    pg_error,
    promote,
    run_to_migration,
    stage,
    write_source,
)

__all__ = ["pg"]  # the fixture, shared with the quarantine tests

BIG = 200_000
BATCH = 10_000
CHUNKS = BIG // BATCH
SEED = 20260315


@pytest.fixture(scope="module")
def big_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_source(tmp_path_factory.mktemp("big") / "txn.csv", BIG)


def _start(
    env: dict[str, str], run_id: str, base: Path, *extra: str, stderr: int = subprocess.DEVNULL
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(CONDUIT), "migrations", "start", run_id, "--base", str(base), *extra],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )


def _no_duplicates(pg: Pg, table: str) -> None:
    assert pg.sql(f'SELECT count(*), count(DISTINCT txn_id) FROM "{table}"') == [(BIG, BIG)]


def _checkpoints(db: Database, run_id: str) -> list[dict[str, Any]]:
    from specialists.migration import store

    row = store.latest_migration(db, run_id)
    assert row is not None
    return store.checkpoints(db, row["migration_id"])


def _wait_for_work(
    db: Database, run_id: str, process: subprocess.Popen[bytes], until: float
) -> None:
    """Until ``process`` has leased a chunk of the run's migration, exited, or ``until``."""
    from sqlalchemy import text

    while process.poll() is None and time.perf_counter() < until:
        with db.connect() as conn:
            mine = conn.execute(
                text(
                    "SELECT 1 FROM migration_chunks WHERE migration_id LIKE :r"
                    " AND lease_owner LIKE :o LIMIT 1"
                ),
                {"r": f"{run_id}.m%", "o": f"%:{process.pid}:%"},
            ).first()
        if mine:
            return
        time.sleep(0.01)


def _state(db: Database, run_id: str) -> tuple[str, int]:
    """The latest migration's status and how many of its chunks are done."""
    from specialists.migration import store

    row = store.latest_migration(db, run_id)
    if row is None:
        return "none", 0
    done = sum(c["status"] != "pending" for c in store.checkpoints(db, row["migration_id"]))
    return str(row["status"]), done


@pytest.fixture(scope="module")
def reference(
    tmp_path_factory: pytest.TempPathFactory,
    db: Database,
    settings: Settings,
    cli_env: dict[str, str],
    big_source: Path,
) -> Any:
    """The big source migrated without interruption by ``conduit migrations start --promote``:
    the reference table's checksum and how long the command took."""
    error = pg_error()
    require(error is None, f"PostgreSQL at {PG_URL} ({error})")
    import psycopg

    conn = psycopg.connect(PG_URL, autocommit=True)
    holder = Pg(conn)
    base = tmp_path_factory.mktemp("reference")
    table = holder.table("txn_ref")
    run_id = run_to_migration(
        db, settings, holder, base, big_source, table, migration_profile(db, BATCH)
    )
    # timed: how long start-up takes (until the Migration Run exists) and the whole command
    started = time.perf_counter()
    process = _start(
        cli_env,
        run_id,
        base,
        "--promote",
        "--actor",
        "op",
        "--role",
        "operator",
        stderr=subprocess.PIPE,
    )
    startup = None
    while process.poll() is None:
        if startup is None and _state(db, run_id)[0] != "none":
            startup = time.perf_counter() - started
        time.sleep(0.01)
    seconds = time.perf_counter() - started
    _, err = process.communicate()
    assert process.returncode == 0, err.decode()
    assert startup is not None
    _no_duplicates(holder, table)
    yield holder.checksum(table), startup, seconds
    holder.sql(f'DROP TABLE IF EXISTS "{table}"')
    holder.sql("DELETE FROM _conduit_promoted WHERE table_name = %s", (table,))
    conn.close()


def test_sigkill_at_ten_random_points_then_resume(
    tmp_path: Path,
    db: Database,
    settings: Settings,
    cli_env: dict[str, str],
    pg: Pg,
    big_source: Path,
    reference: Any,
) -> None:
    checksum, startup, seconds = reference
    table = pg.table("txn_kill")
    run_id = run_to_migration(
        db, settings, pg, tmp_path, big_source, table, migration_profile(db, BATCH)
    )
    rng = random.Random(SEED)
    # Ten points of the uninterrupted run's timeline: twice in start-up, once near the end,
    # seven anywhere in the migration. Each re-run pays start-up again and then resumes, so a
    # point in the migration kills the next process once it works on chunks (or, with none
    # left, once start-up is over) plus the stretch of work since the previous point.
    points = [rng.uniform(0.0, startup) for _ in range(2)]
    points += [rng.uniform(0.95 * seconds, seconds)]
    points += [rng.uniform(startup, seconds) for _ in range(7)]
    points.sort()
    killed, states, delays = 0, [], []
    for previous, point in zip([0.0, *points], points, strict=False):
        process = _start(
            cli_env, run_id, tmp_path, "--promote", "--actor", "op", "--role", "operator"
        )
        spawned = time.perf_counter()
        if point < startup:
            time.sleep(point)
        else:
            _wait_for_work(db, run_id, process, spawned + startup)
            time.sleep(point - max(startup, previous))
        delays.append(round(time.perf_counter() - spawned, 2))
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            killed += 1
        process.wait()
        states.append(_state(db, run_id))
    print(f"reference {startup:.2f} + {seconds - startup:.2f} s; kills at {delays}: {states}")
    # (a resumed process is often quicker than the reference's pace: the last points may find
    # the migration promoted; each kill that hit is recorded in ``states``)
    assert killed >= 5, f"only {killed} of the kills hit a running process: {states}"
    assert any(s[0] == "running" and 0 < s[1] < CHUNKS for s in states), states
    done = conduit(
        cli_env,
        *("migrations", "start", run_id, "--base", str(tmp_path)),
        *("--promote", "--actor", "op", "--role", "operator", "--json"),
    )
    assert done.returncode == 0, done.stderr
    assert pg.checksum(table) == checksum
    _no_duplicates(pg, table)
    cps = _checkpoints(db, run_id)
    assert len(cps) == CHUNKS and {c["status"] for c in cps} == {"staged"}


def test_two_racing_processes_one_killed_then_resume(
    tmp_path: Path,
    db: Database,
    settings: Settings,
    cli_env: dict[str, str],
    pg: Pg,
    big_source: Path,
    reference: Any,
) -> None:
    from specialists.migration import store
    from specialists.migration.targets.base import CHUNKS_TABLE, TargetTable

    checksum, _, _ = reference
    table = pg.table("txn_race")
    run_id = run_to_migration(
        db, settings, pg, tmp_path, big_source, table, migration_profile(db, BATCH)
    )
    first = _start(cli_env, run_id, tmp_path)
    second = _start(cli_env, run_id, tmp_path, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while True:  # kill the first once some chunks are done, the rest under way
        assert time.monotonic() < deadline and first.poll() is None
        row = store.latest_migration(db, run_id)
        if row is not None and sum(c["status"] != "pending" for c in _checkpoints(db, run_id)) >= 4:
            break
        time.sleep(0.05)
    assert second.poll() is None  # both were racing when one died
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    _, err = second.communicate(timeout=180)
    assert second.returncode == 0, err.decode()
    done = conduit(cli_env, "migrations", "start", run_id, "--base", str(tmp_path), "--json")
    assert done.returncode == 0, done.stderr

    row = store.latest_migration(db, run_id)
    assert row is not None and row["status"] == "validated"
    assert store.next_attempt(db, run_id) == 2  # the two processes shared one attempt
    cps = _checkpoints(db, run_id)
    assert [c["chunk_id"] for c in cps] == list(range(CHUNKS))
    assert {c["status"] for c in cps} == {"staged"}
    # each chunk staged exactly once: one marker per chunk, and its rows once in staging
    markers = pg.sql(
        f"SELECT chunk_id, rows FROM {CHUNKS_TABLE} WHERE migration_id = %s ORDER BY chunk_id",
        (row["migration_id"],),
    )
    assert markers == [(i, BATCH) for i in range(CHUNKS)]
    staging = TargetTable(table, (), row["migration_id"]).staging
    assert pg.sql(f'SELECT count(*), count(DISTINCT txn_id) FROM "{staging}"') == [(BIG, BIG)]

    promoted = conduit(
        cli_env, "migrations", "promote", run_id, "--actor", "op", "--role", "operator"
    )
    assert promoted.returncode == 0, promoted.stderr
    assert pg.checksum(table) == checksum
    _no_duplicates(pg, table)


# -- promotion faults and re-runs, on a small source -----------------------------------------

SMALL = 300


class Boom(Exception):
    pass


def _fault(at: str) -> Any:
    def fault(point: str) -> None:
        if point == at:
            raise Boom(point)

    return fault


def _promote_with(db: Database, settings: Settings, run_id: str, base: Path, fault: Any) -> Any:
    from specialists.migration import store
    from specialists.migration.engine import EngineContext, promote_migration

    row = store.latest_migration(db, run_id)
    assert row is not None
    spec, _ = store.load_spec(row)
    ctx = graph_context(db, settings, run_id, base)
    engine = EngineContext(db=db, manifest=ctx.manifest, pii_key=ctx.pii_key, fault=fault)
    return promote_migration(engine, spec)


@pytest.mark.parametrize(
    ("path", "points"),
    [
        ("upsert", ["promote.before_commit"]),
        ("swap", ["promote.after_drop", "promote.before_commit"]),
    ],
)
def test_failed_promotion_leaves_the_final_table_as_it_was(
    tmp_path: Path, db: Database, settings: Settings, pg: Pg, path: str, points: list[str]
) -> None:
    table = pg.table(f"txn_{path}")
    columns = ", ".join(f"{c} {t}" for c, t in PG_COLUMNS.items())
    pg.sql(f'CREATE TABLE "{table}" ({columns}, PRIMARY KEY (txn_id))')
    pg.sql(f'CREATE INDEX "{table}_by_day" ON "{table}" (posted_on)')
    if path == "upsert":  # rows the migration overwrites (T0000001) and rows it leaves alone
        pg.sql(
            f"INSERT INTO \"{table}\" VALUES ('T0000001', '2020-01-01', 'Old', 'old@example.com',"
            " 1.00, 'USD', 'OLD', 'old'), ('Z0000001', '2020-01-02', 'Keep', 'keep@example.com',"
            " 2.00, 'EUR', 'KEEP', 'keep')"
        )
    source = write_source(tmp_path / "txn.csv", SMALL)
    run_id = run_to_migration(db, settings, pg, tmp_path, source, table, migration_profile(db, 100))
    assert stage(db, settings, run_id, tmp_path)["status"] == "validated"
    before = pg.checksum(table), pg.definition(table)

    for point in points:
        with pytest.raises(Boom):
            _promote_with(db, settings, run_id, tmp_path, _fault(point))
        assert (pg.checksum(table), pg.definition(table)) == before, point

    outcome = _promote_with(db, settings, run_id, tmp_path, _fault("nowhere"))
    assert outcome["promotion"]["mode"] == path
    rows = SMALL + (1 if path == "upsert" else 0)
    assert pg.sql(f'SELECT count(*), count(DISTINCT txn_id) FROM "{table}"') == [(rows, rows)]
    columns_, indexes, constraints = pg.definition(table)
    assert columns_ == before[1][0]
    assert len(indexes) == len(before[1][1]) and len(constraints) == len(before[1][2])
    assert pg.scalar(f"SELECT payee_name FROM \"{table}\" WHERE txn_id = 'T0000001'") != "Old"


def test_migrating_unchanged_data_again_is_a_noop(
    tmp_path: Path, db: Database, settings: Settings, pg: Pg
) -> None:
    from artifacts.store import PostgresArtifactStore
    from ledger.store import PostgresLedger

    table = pg.table("txn_again")
    source = write_source(tmp_path / "txn.csv", SMALL)
    run_id = run_to_migration(db, settings, pg, tmp_path, source, table, migration_profile(db, 100))
    assert stage(db, settings, run_id, tmp_path)["status"] == "validated"
    assert promote(db, settings, run_id, tmp_path)["status"] == "promoted"
    before = pg.checksum(table)
    assert before[0] == SMALL

    again = stage(db, settings, run_id, tmp_path, fresh=True)
    assert again["attempt"] == 2 and again["status"] == "validated"
    assert {c["status"] for c in again["chunks"]} == {"noop"}
    assert promote(db, settings, run_id, tmp_path)["outcome"]["promotion"]["mode"] == "noop"
    assert pg.checksum(table) == before

    with db.connect() as conn:
        artifacts = PostgresArtifactStore(conn)
        bodies = [
            artifacts.get(e.outputs_hash).body
            for e in PostgresLedger(conn).events(run_id)
            if e.stage == "MIGRATION"
        ]
    second = [
        b for b in bodies if b.get("migration_id") == again["migration_id"] and "chunk_id" in b
    ]
    assert sorted(b["chunk_id"] for b in second) == list(range(SMALL // 100))
    assert {b["status"] for b in second} == {"noop"}
