"""Schema migrations: named, ordered Alembic revisions under ``core/migrations/versions``.

``ensure_schema`` is called on first use and by ``conduit init``. It reads the database's
revision first and imports Alembic only when something is pending, so a warm start costs one
query. Concurrent callers serialize on a PostgreSQL advisory lock.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

__all__ = ["SCHEMA_HEAD", "ensure_schema", "current_revision", "alembic_head"]

#: The newest revision; a test asserts it equals Alembic's head.
SCHEMA_HEAD = "0007_tenancy"

_MIGRATIONS = Path(__file__).parent / "migrations"
_LOCK_KEY = 0x436F6E64  # "Cond": one advisory lock id for schema changes


def current_revision(conn: Connection) -> str | None:
    """The revision the database is at, or None on an empty database."""
    from sqlalchemy import text

    exists = conn.execute(text("SELECT to_regclass('public.alembic_version')")).scalar()
    if exists is None:
        return None
    row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
    return None if row is None else str(row[0])


def _alembic_config(conn: Connection) -> object:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.attributes["connection"] = conn
    return cfg


def alembic_head() -> str:
    """The head revision according to the migration scripts on disk."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None
    return head


def ensure_schema(engine: Engine) -> str:
    """Apply pending migrations; return the revision the database is at afterwards."""
    from sqlalchemy import text

    with engine.connect() as conn:
        if current_revision(conn) == SCHEMA_HEAD:
            return SCHEMA_HEAD
    from alembic import command

    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _LOCK_KEY})
        conn.commit()
        try:
            command.upgrade(_alembic_config(conn), "head")  # type: ignore[arg-type]
            conn.commit()
            revision = current_revision(conn)
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _LOCK_KEY})
            conn.commit()
    assert revision is not None
    return revision
