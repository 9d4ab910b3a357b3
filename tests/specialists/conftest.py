"""Fixtures of the specialists' tests: the DSL tests' SQL engines (DuckDB, PostgreSQL, MariaDB,
SQLite), for checking compiled pipelines."""

from tests.dsl.conftest import engines

__all__ = ["engines"]
