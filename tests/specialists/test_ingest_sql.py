"""Read-only SQL sources on the machine's PostgreSQL and MariaDB and a SQLite file: introspection,
reading, and writes refused before they are sent (the source is unchanged)."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from core.errors import PolicyBlock
from specialists.ingest.sql import ReadOnlySource
from tests.conftest import require

SCHEMA = [
    "CREATE TABLE customers (id INTEGER PRIMARY KEY, name VARCHAR(80), email VARCHAR(120))",
    "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id),"
    " total DECIMAL(10,2))",
    "INSERT INTO customers VALUES (1, 'Ana Lopez', 'ana@example.org'), (2, 'Bo Chen', NULL)",
    "INSERT INTO orders VALUES (10, 1, 12.50), (11, 2, 7.00), (12, 1, 99.99)",
]
WRITES = [
    "DELETE FROM customers",
    "UPDATE customers SET name = 'x'",
    "INSERT INTO customers VALUES (3, 'Eve', NULL)",
    "DROP TABLE orders",
    "CREATE TABLE evil (id INTEGER)",
    "WITH d AS (DELETE FROM customers RETURNING *) SELECT * FROM d",
    "SELECT 1; DELETE FROM customers",
]


def _server_db(admin_url: str, create: str, drop: str) -> Iterator[str]:
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
        for statement in SCHEMA:
            conn.execute(text(statement))
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(drop.format(name=name)))
    admin.dispose()


@pytest.fixture(params=["postgresql", "mariadb", "sqlite"])
def source_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "postgresql":
        yield from _server_db(
            "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
            'CREATE DATABASE "{name}"',
            'DROP DATABASE "{name}" WITH (FORCE)',
        )
    elif request.param == "mariadb":
        yield from _server_db(
            "mysql+pymysql://root@127.0.0.1:3306/mysql",
            "CREATE DATABASE `{name}`",
            "DROP DATABASE `{name}`",
        )
    else:
        path = tmp_path / "source.db"
        with sqlite3.connect(path) as conn:
            for statement in SCHEMA:
                conn.execute(statement)
        yield f"sqlite:///{path}"


def _count(url: str) -> tuple[int, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        counts = tuple(
            int(conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one())
            for t in ("customers", "orders")
        )
    engine.dispose()
    return counts[0], counts[1]


def test_introspection_and_reading(source_url: str) -> None:
    with ReadOnlySource(source_url) as source:
        tables = {t.name: t for t in source.tables()}
        assert set(tables) == {"customers", "orders"}
        orders = tables["orders"]
        assert [c.name for c in orders.columns] == ["id", "customer_id", "total"]
        assert orders.primary_key == ["id"] and orders.row_estimate == 3
        assert orders.foreign_keys[0]["references"] == "customers"
        frame = source.read("customers")
        assert frame.height == 2 and frame.row(0) == ("1", "Ana Lopez", "ana@example.org")
        assert source.read("orders", limit=1).height == 1


@pytest.mark.parametrize("statement", WRITES)
def test_writes_are_refused_and_the_source_is_unchanged(source_url: str, statement: str) -> None:
    before = _count(source_url)
    with ReadOnlySource(source_url) as source:
        with pytest.raises(PolicyBlock):
            source.execute(statement)
        with pytest.raises(Exception):  # noqa: B017 - the guard on the engine itself refuses
            with source.engine.begin() as conn:
                conn.execute(text(statement))
    assert _count(source_url) == before


def test_the_session_itself_is_read_only(source_url: str) -> None:
    """Even a raw driver cursor, past every guard of ours, cannot write."""
    before = _count(source_url)
    with ReadOnlySource(source_url) as source:
        raw = source.engine.raw_connection()
        try:
            cursor = raw.cursor()
            with pytest.raises(Exception):  # noqa: B017 - each driver has its own error
                cursor.execute("DELETE FROM orders")
                raw.commit()
        finally:
            raw.close()
    assert _count(source_url) == before


def test_credentials_are_hidden() -> None:
    with ReadOnlySource("postgresql+psycopg://ana:s3cret@127.0.0.1:5432/x") as source:
        assert "s3cret" not in source.display_url and "***" in source.display_url
