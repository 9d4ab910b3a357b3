"""The SQL targets (SQLite, DuckDB, MariaDB) and the Parquet target against real engines: one
suite, parametrized over the four. MariaDB is the machine's server (required under CI=true)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from core.errors import DeterministicFailure, TransientError
from specialists.migration.targets.base import StagedChunk, Target, TargetColumn, TargetTable
from specialists.migration.targets.parquet import ParquetTarget
from specialists.migration.targets.sql import SqlTarget, checksum_rows
from tests.conftest import require
from tests.dsl.conftest import MARIADB

KINDS = ["sqlite", "duckdb", "mysql", "parquet"]
SQL_KINDS = ["sqlite", "duckdb", "mysql"]
COLUMNS = (
    TargetColumn("id", "integer", key=True),
    TargetColumn("name", "string"),
    TargetColumn("amount", "decimal(12,2)"),
    TargetColumn("score", "float"),
    TargetColumn("ok", "boolean"),
    TargetColumn("day", "date"),
    TargetColumn("at", "timestamp"),
)
SCHEMA = pl.Schema(
    {
        "id": pl.Int64(),
        "name": pl.String(),
        "amount": pl.Decimal(12, 2),
        "score": pl.Float64(),
        "ok": pl.Boolean(),
        "day": pl.Date(),
        "at": pl.Datetime("us"),
    }
)
MARIADB_URL = "mysql+pymysql://{user}:{password}@{host}:{port}/test"


def frame(*rows: tuple[int, str | None, str]) -> pl.DataFrame:
    """Rows of (id, name, amount) with the other columns derived from the id."""
    return pl.DataFrame(
        [
            (
                i,
                name,
                Decimal(amount),
                i / 4,
                i % 2 == 0,
                date(2024, 1, i % 28 + 1),
                datetime(2024, 1, 1, 12, 0, i % 60, 123456),
            )
            for i, name, amount in rows
        ],
        schema=SCHEMA,
        orient="row",
    )


ROWS = frame((1, "Ada", "10.50"), (2, "Bo", "2.25"), (3, None, "-1.00"))


@dataclass
class Case:
    """One target under test, with the name of a final table of its own."""

    kind: str
    target: Target
    name: str
    migrations: list[str] = field(default_factory=list)

    def table(
        self, migration: str = "m1", columns: tuple[TargetColumn, ...] = COLUMNS
    ) -> TargetTable:
        migration_id = f"{self.name}.{migration}"
        self.migrations.append(migration_id)
        return TargetTable(self.name, columns, migration_id)

    def sql(self, statement: str, params: dict[str, Any] | None = None) -> None:
        """Run DDL/DML on a SQL target's database (test setup only)."""
        from sqlalchemy import text

        assert isinstance(self.target, SqlTarget)
        with self.target.engine.begin() as conn:
            conn.execute(text(statement), params or {})

    def final(self, *columns: str) -> list[tuple[Any, ...]]:
        """The final table's ``columns``, ordered by id."""
        if isinstance(self.target, ParquetTarget):
            if not self.target.path.exists():
                return []
            return pl.read_parquet(self.target.path).sort("id").select(columns).rows()
        from sqlalchemy import text

        assert isinstance(self.target, SqlTarget)
        quote = self.target.engine.dialect.identifier_preparer.quote_identifier
        names = ", ".join(quote(c) for c in columns)
        query = f"SELECT {names} FROM {quote(self.name)} ORDER BY {quote('id')}"
        with self.target.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(query))]


_mariadb_up: dict[str, str | None] = {}


def _mariadb_url() -> str:
    """The MariaDB test database's URL, after one check per session that the server answers."""
    url = MARIADB_URL.format(**MARIADB)
    if "error" not in _mariadb_up:
        import pymysql

        try:
            pymysql.connect(**MARIADB, connect_timeout=3).close()
            _mariadb_up["error"] = None
        except pymysql.err.OperationalError as e:
            _mariadb_up["error"] = str(e)
    error = _mariadb_up["error"]
    require(error is None, f"MariaDB on {MARIADB['host']}:{MARIADB['port']} ({error})")
    return url


def _cleanup_mysql(case: Case) -> None:
    target = case.target
    assert isinstance(target, SqlTarget)
    stagings = [TargetTable(case.name, COLUMNS, m).staging for m in case.migrations]
    for name in [case.name, *stagings, f"{case.name}_parent"]:
        case.sql(f"DROP TABLE IF EXISTS `{name}`")
    from sqlalchemy import inspect

    if not inspect(target.engine).has_table("_conduit_promoted"):
        return
    for migration in case.migrations:
        case.sql("DELETE FROM _conduit_chunks WHERE migration_id = :m", {"m": migration})
    case.sql("DELETE FROM _conduit_promoted WHERE table_name = :t", {"t": case.name})


@pytest.fixture(params=KINDS)
def case(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Case]:
    kind: str = request.param
    name = f"t_{uuid.uuid4().hex[:10]}"
    target: Target
    if kind == "parquet":
        target = ParquetTarget(tmp_path / f"{name}.parquet")
    elif kind == "mysql":
        target = SqlTarget(_mariadb_url())
    else:
        target = SqlTarget(f"{kind}:///{tmp_path / name}.db")
    made = Case(kind, target, name)
    yield made
    if kind == "mysql":
        _cleanup_mysql(made)
    target.close()


@pytest.fixture(params=SQL_KINDS)
def sql_case(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Case]:
    yield from _sql_case(request.param, tmp_path)


def _sql_case(kind: str, tmp_path: Path) -> Iterator[Case]:
    name = f"t_{uuid.uuid4().hex[:10]}"
    url = _mariadb_url() if kind == "mysql" else f"{kind}:///{tmp_path / name}.db"
    made = Case(kind, SqlTarget(url), name)
    yield made
    if kind == "mysql":
        _cleanup_mysql(made)
    made.target.close()


def test_dialect_names(case: Case) -> None:
    assert case.target.dialect == case.kind


def test_prepare_twice_and_a_chunk_stages_once(case: Case) -> None:
    table = case.table()
    case.target.prepare(table)
    case.target.prepare(table)

    assert case.target.stage_chunk(table, 0, "h0", ROWS) is True
    # A second writer of chunk 0, even with other rows, writes nothing.
    assert case.target.stage_chunk(table, 0, "other", frame((7, "x", "1.00"))) is False
    assert case.target.stage_chunk(table, 1, "h1", frame((4, "Di", "0.25"))) is True

    assert case.target.staged_chunks(table) == {0: StagedChunk("h0", 3), 1: StagedChunk("h1", 1)}
    assert case.target.staged_rows(table) == 4
    assert case.target.duplicate_keys(table) == []
    # The marker of another migration is not this migration's.
    assert case.target.staged_chunks(case.table("m2")) == {}


def test_staged_sums_are_exact_decimals(case: Case) -> None:
    table = case.table()
    case.target.prepare(table)
    empty = case.target.staged_sums(table, ["amount", "id"])
    assert empty == {"amount": Decimal("0"), "id": Decimal("0")}
    case.target.stage_chunk(table, 0, "h0", frame((1, "a", "0.10"), (2, "b", "0.20")))
    case.target.stage_chunk(table, 1, "h1", frame((3, "c", "1234567.89")))

    sums = case.target.staged_sums(table, ["amount", "id", "score"])

    assert sums == {"amount": Decimal("1234568.19"), "id": Decimal(6), "score": Decimal("1.5")}
    assert all(isinstance(v, Decimal) for v in sums.values())
    assert str(sums["amount"]) == "1234568.19"


def test_duplicate_keys_and_remove_staged(case: Case) -> None:
    table = case.table()
    case.target.prepare(table)
    case.target.stage_chunk(table, 0, "h0", ROWS)
    case.target.stage_chunk(table, 1, "h1", frame((2, "Bo again", "9.00"), (4, "Di", "1.00")))

    assert case.target.duplicate_keys(table) == [(2,)]
    assert case.target.remove_staged(table, []) == 0
    # Both rows of key 2 go; key 99 matches nothing.
    assert case.target.remove_staged(table, [(2,), (99,)]) == 2

    assert case.target.duplicate_keys(table) == []
    assert case.target.staged_rows(table) == 3
    case.target.promote(table, {0: "h0", 1: "h1"})
    assert case.final("id", "name") == [(1, "Ada"), (3, None), (4, "Di")]


def test_promote_then_replay_changes_nothing(case: Case) -> None:
    table = case.table()
    case.target.prepare(table)
    case.target.stage_chunk(table, 0, "h0", ROWS)

    first = case.target.promote(table, {0: "h0"})

    assert (first.rows, first.changed) == (3, 3)
    assert first.mode == ("replace" if case.kind == "parquet" else "upsert")
    assert case.final("id", "name") == [(1, "Ada"), (2, "Bo"), (3, None)]
    assert case.target.promoted_chunks(case.name) == {0: "h0"}
    before = case.target.checksum(case.name, ["id"])
    assert before[0] == 3

    replay = case.target.promote(table, {0: "h0"})

    assert (replay.rows, replay.changed) == (3, 0)
    assert case.target.checksum(case.name, ["id"]) == before
    assert case.target.promoted_chunks(case.name) == {0: "h0"}


def test_a_second_migration_upserts_by_key(case: Case) -> None:
    first = case.table("m1")
    case.target.prepare(first)
    case.target.stage_chunk(first, 0, "h0", ROWS)
    case.target.promote(first, {0: "h0"})
    case.target.drop_staging(first)

    second = case.table("m2")
    case.target.prepare(second)
    # 1 unchanged, 2 renamed, 5 new; 3 is not in this migration and stays.
    changed = frame((1, "Ada", "10.50"), (2, "Bob", "2.25"), (5, "Eve", "5.00"))
    case.target.stage_chunk(second, 0, "k0", changed)

    result = case.target.promote(second, {0: "k0"})

    assert (result.rows, result.changed) == (3, 2)
    assert case.final("id", "name") == [(1, "Ada"), (2, "Bob"), (3, None), (5, "Eve")]
    assert case.target.promoted_chunks(case.name) == {0: "k0"}


@pytest.mark.parametrize("point", ["promote.after_upsert", "promote.before_commit"])
def test_a_fault_in_promote_leaves_final_and_record_as_they_were(case: Case, point: str) -> None:
    first = case.table("m1")
    case.target.prepare(first)
    case.target.stage_chunk(first, 0, "h0", ROWS)
    case.target.promote(first, {0: "h0"})
    before = case.target.checksum(case.name, ["id"])

    second = case.table("m2")
    case.target.prepare(second)
    case.target.stage_chunk(second, 0, "k0", frame((1, "changed", "0.01"), (9, "new", "9.00")))

    def fault(at: str) -> None:
        if at == point:
            raise RuntimeError(f"crash at {at}")

    with pytest.raises(RuntimeError, match=point):
        case.target.promote(second, {0: "k0", 1: "k1"}, fault)

    assert case.target.checksum(case.name, ["id"]) == before
    assert case.final("id", "name") == [(1, "Ada"), (2, "Bo"), (3, None)]
    assert case.target.promoted_chunks(case.name) == {0: "h0"}
    # The staging survives the failed promotion, which can be run again.
    assert case.target.promote(second, {0: "k0"}).changed == 2
    assert case.final("id", "name") == [(1, "changed"), (2, "Bo"), (3, None), (9, "new")]


def test_fault_before_the_first_promotion_leaves_no_final_rows(case: Case) -> None:
    table = case.table()
    case.target.prepare(table)
    case.target.stage_chunk(table, 0, "h0", ROWS)
    empty = case.target.checksum(case.name, ["id"])

    def fault(at: str) -> None:
        if at == "promote.before_commit":
            raise RuntimeError(at)

    with pytest.raises(RuntimeError):
        case.target.promote(table, {0: "h0"}, fault)

    assert empty == checksum_rows([])
    assert case.target.checksum(case.name, ["id"]) == empty
    assert case.target.promoted_chunks(case.name) == {}
    if isinstance(case.target, ParquetTarget):  # no temporary file left beside the final one
        assert sorted(p.name for p in case.target.path.parent.iterdir()) == [
            f"{case.name}.parquet.conduit-staging"
        ]


def test_drop_staging_removes_rows_and_markers(case: Case) -> None:
    table = case.table()
    case.target.prepare(table)
    case.target.stage_chunk(table, 0, "h0", ROWS)
    other = case.table("m2")
    case.target.prepare(other)
    case.target.stage_chunk(other, 0, "k0", ROWS)

    case.target.drop_staging(table)
    case.target.drop_staging(table)  # idempotent

    assert case.target.staged_chunks(table) == {}
    assert case.target.staged_chunks(other) == {0: StagedChunk("k0", 3)}
    case.target.prepare(table)
    assert case.target.staged_rows(table) == 0
    # The marker went with the rows: the chunk can be staged afresh.
    assert case.target.stage_chunk(table, 0, "h0", ROWS) is True
    assert case.target.staged_rows(table) == 3


def test_values_round_trip(case: Case) -> None:
    table = case.table()
    case.target.prepare(table)
    case.target.stage_chunk(table, 0, "h0", ROWS)
    case.target.promote(table, {0: "h0"})

    [row] = [r for r in case.final("id", "amount", "ok", "day", "at") if r[0] == 2]

    identifier, amount, ok, day, at = row
    assert Decimal(str(amount)) == Decimal("2.25")
    assert bool(ok) is True
    assert str(day) == "2024-01-03"
    assert str(at) == "2024-01-01 12:00:02.123456"


def test_fk_violations(case: Case) -> None:
    columns = (
        TargetColumn("id", "integer", key=True),
        TargetColumn("parent_id", "integer"),
        TargetColumn("name", "string"),
    )
    table = case.table(columns=columns)
    parent = f"{case.name}_parent"
    if case.kind != "parquet":
        suffix = " ENGINE=InnoDB" if case.kind == "mysql" else ""
        case.sql(f"CREATE TABLE {parent} (id BIGINT PRIMARY KEY){suffix}")
        case.sql(f"INSERT INTO {parent} (id) VALUES (1), (2)")
        case.sql(
            f"CREATE TABLE {case.name} (id BIGINT PRIMARY KEY, parent_id BIGINT, name TEXT, "
            f"FOREIGN KEY (parent_id) REFERENCES {parent} (id)){suffix}"
        )
    case.target.prepare(table)
    rows = pl.DataFrame(
        [(1, 1, "ok"), (2, None, "no parent"), (3, 9, "orphan"), (4, 2, "ok"), (5, 8, "orphan")],
        schema={"id": pl.Int64, "parent_id": pl.Int64, "name": pl.Utf8},
        orient="row",
    )
    case.target.stage_chunk(table, 0, "h0", rows)

    violations = case.target.fk_violations(table)

    if case.kind == "parquet":
        assert violations == []
        return
    label = f"parent_id -> {parent}(id)"
    assert violations == [((3,), label), ((5,), label)]
    # Removed to quarantine, the rest promotes under the enforced key.
    assert case.target.remove_staged(table, [k for k, _ in violations]) == 2
    assert case.target.fk_violations(table) == []
    assert case.target.promote(table, {0: "h0"}).changed == 3
    assert case.final("id", "parent_id") == [(1, 1), (2, None), (4, 2)]


def test_self_referencing_fk_may_be_met_by_staged_rows(sql_case: Case) -> None:
    columns = (TargetColumn("id", "integer", key=True), TargetColumn("boss", "integer"))
    table = sql_case.table(columns=columns)
    suffix = " ENGINE=InnoDB" if sql_case.kind == "mysql" else ""
    sql_case.sql(
        f"CREATE TABLE {sql_case.name} (id BIGINT PRIMARY KEY, boss BIGINT, "
        f"FOREIGN KEY (boss) REFERENCES {sql_case.name} (id)){suffix}"
    )
    sql_case.target.prepare(table)
    rows = pl.DataFrame({"id": [1, 2, 3], "boss": [None, 1, 7]})
    sql_case.target.stage_chunk(table, 0, "h0", rows)

    assert sql_case.target.fk_violations(table) == [((3,), f"boss -> {sql_case.name}(id)")]


def test_a_failed_row_insert_takes_the_marker_with_it(sql_case: Case) -> None:
    table = sql_case.table()
    sql_case.target.prepare(table)
    # Staging gone: the marker goes in, then the rows fail, in one transaction.
    sql_case.sql(f"DROP TABLE {table.staging}")

    with pytest.raises(DeterministicFailure, match=sql_case.name):
        sql_case.target.stage_chunk(table, 0, "h0", ROWS)

    assert sql_case.target.staged_chunks(table) == {}
    sql_case.target.prepare(table)
    assert sql_case.target.stage_chunk(table, 0, "h0", ROWS) is True
    assert sql_case.target.staged_rows(table) == 3


def test_database_errors_name_the_table(sql_case: Case) -> None:
    with pytest.raises(DeterministicFailure, match="no_such_table"):
        sql_case.target.checksum("no_such_table", ["id"])


def test_a_lost_server_is_transient_and_hides_the_password() -> None:
    # Nothing listens on port 1: the connection is refused at once.
    target = SqlTarget("mysql+pymysql://root:s3cret@127.0.0.1:1/test")
    try:
        with pytest.raises(TransientError) as caught:
            target.staged_rows(TargetTable("t", COLUMNS, "m"))
    finally:
        target.close()
    assert "s3cret" not in caught.value.message
    assert "***" in caught.value.message and "'t'" in caught.value.message


def test_parquet_record_of_another_final_file_is_not_trusted(tmp_path: Path) -> None:
    target = ParquetTarget(tmp_path / "t.parquet")
    table = TargetTable("t", COLUMNS, "m1")
    target.prepare(table)
    target.stage_chunk(table, 0, "h0", ROWS)
    target.promote(table, {0: "h0"})
    # As after a crash between the final file's rename and the record's: a newer final file.
    ROWS.write_parquet(target.path)

    assert target.promoted_chunks("t") == {}


def test_concurrent_writers_of_a_chunk_stage_it_once(case: Case) -> None:
    table = case.table()
    case.target.prepare(table)

    def stage(_: int) -> bool | str:
        try:
            return case.target.stage_chunk(table, 0, "h0", ROWS)
        except TransientError:  # DuckDB reports a write-write conflict: retrying gives False
            return "conflict"

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(stage, range(4)))

    assert outcomes.count(True) == 1, outcomes
    assert case.target.stage_chunk(table, 0, "h0", ROWS) is False
    assert case.target.staged_rows(table) == 3
    assert case.target.staged_chunks(table) == {0: StagedChunk("h0", 3)}


def test_duckdb_and_parquet_checksums_agree(tmp_path: Path) -> None:
    """Both hand back the values Polars staged (Decimal, date, datetime, bool) as such."""
    sums = []
    for target in (SqlTarget(f"duckdb:///{tmp_path}/t.duckdb"), ParquetTarget(tmp_path / "t.pq")):
        table = TargetTable("t", COLUMNS, "m1")
        target.prepare(table)
        target.stage_chunk(table, 0, "h0", ROWS)
        target.promote(table, {0: "h0"})
        sums.append(target.checksum("t", ["id"]))
        target.close()
    assert sums[0] == sums[1] == checksum_rows(ROWS.rows())


def test_parquet_refuses_to_promote_repeated_keys(tmp_path: Path) -> None:
    target = ParquetTarget(tmp_path / "t.parquet")
    table = TargetTable("t", COLUMNS, "m1")
    target.prepare(table)
    target.stage_chunk(table, 0, "h0", ROWS)
    target.stage_chunk(table, 1, "h1", frame((2, "again", "1.00")))

    with pytest.raises(DeterministicFailure, match="repeat a key"):
        target.promote(table, {0: "h0", 1: "h1"})

    assert not target.path.exists()
