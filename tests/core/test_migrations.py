"""Schema migrations: ordered, named, idempotent, and pgvector present."""

from __future__ import annotations

import uuid

from sqlalchemy import create_engine, text

from core.db import Database
from core.migrate import SCHEMA_HEAD, alembic_head, current_revision, ensure_schema


def test_schema_head_constant_matches_alembic() -> None:
    assert alembic_head() == SCHEMA_HEAD


def test_database_is_at_head_and_ensure_is_idempotent(db: Database) -> None:
    with db.connect() as conn:
        assert current_revision(conn) == SCHEMA_HEAD
    assert ensure_schema(db.engine) == SCHEMA_HEAD


def test_pgvector_is_installed(db: Database) -> None:
    with db.connect() as conn:
        distance = conn.execute(text("SELECT '[1,2,3]'::vector <-> '[1,2,5]'::vector")).scalar()
    assert distance == 2.0


def test_fresh_database_migrates_from_nothing(db: Database) -> None:
    name = f"fresh_{uuid.uuid4().hex[:8]}"
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    fresh = create_engine(db.engine.url.set(database=name))
    try:
        assert ensure_schema(fresh) == SCHEMA_HEAD
        with fresh.connect() as conn:
            tables = set(
                conn.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                ).scalars()
            )
        assert {
            "runs",
            "artifacts",
            "artifact_refs",
            "supervisor_ledger",
            "decision_summaries",
            "threshold_profiles",
            "policy_manifests",
        } <= tables
    finally:
        fresh.dispose()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE "{name}"'))
