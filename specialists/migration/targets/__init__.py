"""Migration targets (see :mod:`specialists.migration.targets.base`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.errors import ContractError

if TYPE_CHECKING:
    from specialists.migration.targets.base import Target

__all__ = ["open_target", "target_kind"]


def target_kind(location: str) -> str:
    """Which target a location names: ``postgres``, ``sql`` (SQLite, DuckDB, MariaDB/MySQL) or
    ``parquet``.

    >>> target_kind("postgresql://h/db"), target_kind("sqlite:///x.db"), target_kind("out.parquet")
    ('postgres', 'sql', 'parquet')
    """
    if location.startswith(("postgresql", "postgres://")):
        return "postgres"
    if location.startswith(("sqlite", "duckdb", "mysql", "mariadb")):
        return "sql"
    if location.endswith(".parquet"):
        return "parquet"
    raise ContractError(
        f"Migration cannot write to {location!r}: name a PostgreSQL, MariaDB/MySQL, SQLite or "
        "DuckDB URL, or a .parquet file",
        field="rhs.location",
    )


def open_target(location: str) -> Target:
    """The target a location names, connected."""
    kind = target_kind(location)
    if kind == "postgres":
        from specialists.migration.targets.postgres import PostgresTarget

        return PostgresTarget(location)
    if kind == "sql":
        from specialists.migration.targets.sql import SqlTarget

        _make_folder(location)

        return SqlTarget(location)
    from specialists.migration.targets.parquet import ParquetTarget

    return ParquetTarget(location)


def _make_folder(location: str) -> None:
    """Create the folder of a SQLite/DuckDB database file (the database file itself is created
    on first connect; its folder is not)."""
    from pathlib import Path

    from sqlalchemy.engine import make_url

    url = make_url(location)
    if url.drivername.startswith(("sqlite", "duckdb")) and url.database not in (
        None,
        "",
        ":memory:",
    ):
        Path(str(url.database)).parent.mkdir(parents=True, exist_ok=True)
