"""Engines for the DSL tests: DuckDB and SQLite in memory, the embedded PostgreSQL, and the
machine's MariaDB (required under CI=true)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest

from core.db import Database
from tests.conftest import require

MARIADB = {
    "host": os.environ.get("CONDUIT_TEST_MARIADB_HOST", "127.0.0.1"),
    "port": int(os.environ.get("CONDUIT_TEST_MARIADB_PORT", "3306")),
    "user": os.environ.get("CONDUIT_TEST_MARIADB_USER", "root"),
    "password": os.environ.get("CONDUIT_TEST_MARIADB_PASSWORD", ""),
}


def _mariadb() -> Any:
    import pymysql

    try:
        conn = pymysql.connect(**MARIADB, autocommit=True, charset="utf8mb4")
    except pymysql.err.OperationalError as e:
        require(False, f"MariaDB on {MARIADB['host']}:{MARIADB['port']} ({e})")
    with conn.cursor() as cur:
        cur.execute("CREATE DATABASE IF NOT EXISTS conduit_dsl_test CHARACTER SET utf8mb4")
        cur.execute("USE conduit_dsl_test")
    return conn


@pytest.fixture(scope="session")
def engines(db: Database) -> Iterator[dict[str, Any]]:
    """DB-API connections by dialect name, as ``dsl.validate_all`` takes them."""
    import duckdb
    import psycopg

    # A connection of its own, in autocommit mode: never one borrowed from the store's pool,
    # which would go back to the pool still in autocommit mode.
    pg = psycopg.connect(db.engine.url.set(drivername="postgresql").render_as_string(False))
    pg.autocommit = True
    conns: dict[str, Any] = {
        "duckdb": duckdb.connect(),
        "postgres": pg,
        "mysql": _mariadb(),
        "sqlite": sqlite3.connect(":memory:"),
    }
    yield conns
    for conn in conns.values():
        conn.close()
