"""Read-only SQL sources on the machine's PostgreSQL and MariaDB and SQLite and DuckDB files:
introspection, reading (whole and in chunks), and writes refused before they are sent (the source
is unchanged)."""

from __future__ import annotations

import hashlib
import random
import sqlite3
import tracemalloc
import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb
import polars as pl
import pytest
from sqlalchemy import create_engine, text

from core.errors import ConduitError, PolicyBlock
from specialists.ingest.sql import ReadOnlySource
from tests.conftest import require

BACKENDS = ["postgresql", "mariadb", "sqlite", "duckdb"]
# Ledger rows are inserted shuffled, so the order they come back in is the key's, not the heap's.
ACCOUNTS = [f"A{n:02d}" for n in range(1, 11)]
LEDGER_ROWS = [(a, s, f"{s * 7 % 1000}.{s % 100:02d}") for a in ACCOUNTS for s in range(1, 101)]
random.Random(7).shuffle(LEDGER_ROWS)
SCHEMA = [
    "CREATE TABLE customers (id INTEGER PRIMARY KEY, name VARCHAR(80), email VARCHAR(120))",
    "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id),"
    " total DECIMAL(10,2))",
    "CREATE TABLE ledger (account VARCHAR(10), seq INTEGER, amount DECIMAL(10,2),"
    " PRIMARY KEY (account, seq))",
    "CREATE TABLE notes (body VARCHAR(40))",
    "CREATE TABLE empty_table (id INTEGER PRIMARY KEY, label VARCHAR(10))",
    "INSERT INTO customers VALUES (1, 'Ana Lopez', 'ana@example.org'), (2, 'Bo Chen', NULL)",
    "INSERT INTO orders VALUES (10, 1, 12.50), (11, 2, 7.00), (12, 1, 99.99)",
    "INSERT INTO ledger VALUES " + ", ".join(f"('{a}', {s}, {m})" for a, s, m in LEDGER_ROWS),
    "INSERT INTO notes VALUES ('c'), ('a'), ('b'), (NULL)",
]
TABLES = {"customers", "orders", "ledger", "notes", "empty_table"}
WRITES = [
    "DELETE FROM customers",
    "UPDATE customers SET name = 'x'",
    "INSERT INTO customers VALUES (3, 'Eve', NULL)",
    "DROP TABLE orders",
    "CREATE TABLE evil (id INTEGER)",
    "WITH d AS (DELETE FROM customers RETURNING *) SELECT * FROM d",
    "SELECT 1; DELETE FROM customers",
]


def _server_db(admin_url: str, create: str, drop: str, schema: list[str]) -> Iterator[str]:
    name = f"conduit_src_{uuid.uuid4().hex[:8]}"
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(create.format(name=name)))
    except Exception as e:  # noqa: BLE001 - the server is missing: say so (fails under CI)
        require(False, f"{admin_url.split('@')[-1]}: {e}")
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    engine = create_engine(url)
    with engine.begin() as conn:
        for statement in schema:
            conn.execute(text(statement))
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(drop.format(name=name)))
    admin.dispose()


def _make_source(backend: str, tmp_path: Path, schema: list[str]) -> Iterator[str]:
    if backend == "postgresql":
        yield from _server_db(
            "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
            'CREATE DATABASE "{name}"',
            'DROP DATABASE "{name}" WITH (FORCE)',
            schema,
        )
    elif backend == "mariadb":
        yield from _server_db(
            "mysql+pymysql://root@127.0.0.1:3306/mysql",
            "CREATE DATABASE `{name}`",
            "DROP DATABASE `{name}`",
            schema,
        )
    elif backend == "sqlite":
        path = tmp_path / "source.db"
        with sqlite3.connect(path) as conn:
            for statement in schema:
                conn.execute(statement)
        yield f"sqlite:///{path}"
    else:
        path = tmp_path / "source.duckdb"
        with duckdb.connect(str(path)) as conn:
            for statement in schema:
                conn.execute(statement)
        yield f"duckdb:///{path}"


@pytest.fixture(params=BACKENDS)
def source_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from _make_source(request.param, tmp_path, SCHEMA)


def _count(url: str) -> tuple[int, int]:
    # A DuckDB file is counted read-only too: a read-write open may checkpoint and rewrite it.
    options = {"connect_args": {"read_only": True}} if url.startswith("duckdb") else {}
    engine = create_engine(url, **options)
    with engine.connect() as conn:
        counts = tuple(
            int(conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one())
            for t in ("customers", "orders")
        )
    engine.dispose()
    return counts[0], counts[1]


def _file_digest(url: str) -> str | None:
    """The SHA-256 of a file source's bytes (None for a server)."""
    if not url.startswith(("sqlite", "duckdb")):
        return None
    return hashlib.sha256(Path(url.split(":///", 1)[1]).read_bytes()).hexdigest()


def test_introspection_and_reading(source_url: str) -> None:
    with ReadOnlySource(source_url) as source:
        tables = {t.name: t for t in source.tables()}
        assert set(tables) == TABLES
        orders = tables["orders"]
        assert [c.name for c in orders.columns] == ["id", "customer_id", "total"]
        assert orders.primary_key == ["id"] and orders.row_estimate == 3
        assert orders.foreign_keys[0]["references"] == "customers"
        assert orders.foreign_keys[0]["columns"] == ["customer_id"]
        assert tables["ledger"].primary_key == ["account", "seq"]
        assert tables["notes"].primary_key == [] and tables["notes"].row_estimate == 4
        frame = source.read("customers")
        assert frame.height == 2 and frame.row(0) == ("1", "Ana Lopez", "ana@example.org")
        assert source.read("orders", limit=1).height == 1


def test_duckdb_introspection_reports_types_keys_and_counts(tmp_path: Path) -> None:
    [url] = list(_make_source("duckdb", tmp_path, SCHEMA))
    with ReadOnlySource(url) as source:
        assert source.dialect == "duckdb"
        tables = {t.name: t for t in source.tables()}
        orders, ledger = tables["orders"], tables["ledger"]
        assert [(c.name, c.type, c.nullable) for c in orders.columns] == [
            ("id", "INTEGER", False),
            ("customer_id", "INTEGER", True),
            ("total", "DECIMAL(10,2)", True),
        ]
        assert orders.foreign_keys == [
            {"columns": ["customer_id"], "references": "customers", "referred_columns": ["id"]}
        ]
        assert [c.type for c in ledger.columns] == ["VARCHAR", "INTEGER", "DECIMAL(10,2)"]
        assert ledger.primary_key == ["account", "seq"] and ledger.row_estimate == 1000
        assert tables["empty_table"].row_estimate == 0
        assert source.read("orders").rows() == [
            ("10", "1", "12.50"),
            ("11", "2", "7.00"),
            ("12", "1", "99.99"),
        ]


@pytest.mark.parametrize("statement", WRITES)
def test_writes_are_refused_and_the_source_is_unchanged(source_url: str, statement: str) -> None:
    before, digest = _count(source_url), _file_digest(source_url)
    with ReadOnlySource(source_url) as source:
        with pytest.raises(PolicyBlock):
            source.execute(statement)
        with pytest.raises(Exception):  # noqa: B017 - the guard on the engine itself refuses
            with source.engine.begin() as conn:
                conn.execute(text(statement))
    assert _count(source_url) == before and _file_digest(source_url) == digest


def test_the_session_itself_is_read_only(source_url: str) -> None:
    """Even a raw driver cursor, past every guard of ours, cannot write."""
    before, digest = _count(source_url), _file_digest(source_url)
    with ReadOnlySource(source_url) as source:
        raw = source.engine.raw_connection()
        try:
            cursor = raw.cursor()
            with pytest.raises(Exception):  # noqa: B017 - each driver has its own error
                cursor.execute("DELETE FROM orders")
                raw.commit()
        finally:
            raw.close()
    assert _count(source_url) == before and _file_digest(source_url) == digest


def test_duckdb_refuses_a_write_on_the_connection_itself(tmp_path: Path) -> None:
    """DuckDB's own refusal (the file is attached read-only), not only our SQLGlot guard."""
    [url] = list(_make_source("duckdb", tmp_path, SCHEMA))
    digest = _file_digest(url)
    with ReadOnlySource(url) as source:
        raw = source.engine.raw_connection()
        try:
            with pytest.raises(duckdb.Error, match="read-only"):
                raw.cursor().execute("INSERT INTO notes VALUES ('x')")
        finally:
            raw.close()
    assert _file_digest(url) == digest


def _key_order(rows: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    return sorted(rows, key=lambda r: (r[0], int(r[1])))


def test_chunks_match_a_full_read_in_key_order(source_url: str) -> None:
    seen: list[int] = []
    with ReadOnlySource(source_url) as source:
        chunks = list(source.read_chunks("ledger", rows=64, progress=seen.append))
        full = source.read("ledger")
    assert [c.height for c in chunks] == [64] * 15 + [40]
    assert seen == [64 * n for n in range(1, 16)] + [1000]
    assert all(c.columns == ["account", "seq", "amount"] for c in chunks)
    assert pl.concat(chunks).equals(full)
    expected = _key_order([(a, str(s), m) for a, s, m in LEDGER_ROWS])
    assert [(a, s) for a, s, _ in full.rows()] == [(a, s) for a, s, _ in expected]
    assert full.row(0)[:2] == ("A01", "1") and full.row(999)[:2] == ("A10", "100")


def test_chunked_reading_with_a_limit_no_key_and_no_rows(source_url: str) -> None:
    with ReadOnlySource(source_url) as source:
        limited = list(source.read_chunks("ledger", rows=64, limit=100))
        seen: list[int] = []
        empty = list(source.read_chunks("empty_table", rows=64, progress=seen.append))
        keyless = source.read("notes")
    assert [c.height for c in limited] == [64, 36]
    assert [r[:2] for r in pl.concat(limited).rows()][:2] == [("A01", "1"), ("A01", "2")]
    assert len(empty) == 1 and empty[0].height == 0 and empty[0].columns == ["id", "label"]
    assert seen == [0]
    bodies = keyless.get_column("body").to_list()
    assert sorted(bodies, key=lambda v: (v is not None, v or "")) == [None, "a", "b", "c"]


def test_a_missing_table_or_file_is_a_deterministic_failure(tmp_path: Path) -> None:
    [url] = list(_make_source("duckdb", tmp_path, SCHEMA))
    with ReadOnlySource(url) as source:
        with pytest.raises(ConduitError) as info:
            source.read("nope")
    assert info.value.code == "DETERMINISTIC_FAILURE" and "nope" in info.value.message
    for missing in (f"duckdb:///{tmp_path}/none.duckdb", f"sqlite:///{tmp_path}/none.db"):
        with pytest.raises(ConduitError) as info:
            ReadOnlySource(missing)
        assert info.value.code == "DETERMINISTIC_FAILURE"
        assert "does not exist" in info.value.message


def test_an_unreachable_server_is_transient_and_hides_the_password() -> None:
    with ReadOnlySource("postgresql+psycopg://ana:s3cret@127.0.0.1:1/x") as source:
        with pytest.raises(ConduitError) as info:
            source.tables()
    assert info.value.code == "TRANSIENT_ERROR"
    assert "s3cret" not in info.value.message and "127.0.0.1" in info.value.message


def test_postgresql_streams_through_a_server_side_cursor(tmp_path: Path) -> None:
    """Between two chunks the server holds the cursor and is asked for the next chunk."""
    made = _make_source("postgresql", tmp_path, SCHEMA)
    url = next(made)
    admin = create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    try:
        with ReadOnlySource(url) as source:
            chunks = source.read_chunks("ledger", rows=100)
            next(chunks)
            with admin.connect() as conn:
                queries = conn.execute(
                    text("SELECT query FROM pg_stat_activity WHERE datname = :d"),
                    {"d": url.rsplit("/", 1)[1]},
                ).all()
                assert any(q.startswith("FETCH FORWARD ") for (q,) in queries), queries
            assert sum(c.height for c in chunks) == 900
    finally:
        admin.dispose()
        next(made, None)


BIG_ROWS = 60_000


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_large_table_is_read_with_bounded_memory(backend: str, tmp_path: Path) -> None:
    """Memory held by Python while reading in chunks stays a fraction of the table's rows."""
    batches = [
        "INSERT INTO big VALUES "
        + ", ".join(f"({i}, 'row number {i} of the big table', {i}.25)" for i in range(s, s + 5000))
        for s in range(0, BIG_ROWS, 5000)
    ]
    schema = ["CREATE TABLE big (id INTEGER PRIMARY KEY, note VARCHAR(60), x DECIMAL(12,2))"]
    for url in _make_source(backend, tmp_path, schema + batches):
        with ReadOnlySource(url) as source:
            tracemalloc.start()
            try:
                rows = source.execute("SELECT * FROM big")
                whole = tracemalloc.get_traced_memory()[1]
                del rows
                tracemalloc.reset_peak()
                base = tracemalloc.get_traced_memory()[0]  # caches filled by the first read
                seen: list[int] = []
                last = None
                for chunk in source.read_chunks("big", rows=2_000, progress=seen.append):
                    last = chunk.row(chunk.height - 1)[0]
                chunked = tracemalloc.get_traced_memory()[1] - base
            finally:
                tracemalloc.stop()
        assert seen[-1] == BIG_ROWS and len(seen) == BIG_ROWS // 2_000
        assert last == str(BIG_ROWS - 1)
        assert chunked * 5 < whole, (chunked, whole)


def test_credentials_are_hidden() -> None:
    with ReadOnlySource("postgresql+psycopg://ana:s3cret@127.0.0.1:5432/x") as source:
        assert "s3cret" not in source.display_url and "***" in source.display_url
