"""Migration Runs, their chunk checkpoints and the quarantine (§14, §37, §44).

``migration_runs`` holds one row per migration of a run (a run may migrate again: ``attempt``),
with its pre-flight spec (strategy, key strategy, target, chunk size) and its outcome.
``migration_chunks`` is the §37 checkpoint record of each chunk, plus its lease (who works on it,
since when; the lease itself is a PostgreSQL advisory lock held by the worker's connection, so a
killed worker's lease ends with its connection). ``quarantine_rows`` is the §37 quarantine
record of each row that failed a transform or a constraint, with masked previews and the diff.

Revision ID: 0006_migrations
Revises: 0005_domain_catalogs
"""

from __future__ import annotations

from alembic import op

revision = "0006_migrations"
down_revision = "0005_domain_catalogs"
branch_labels = None
depends_on = None

_HASH = "char(64) CHECK ({col} ~ '^[0-9a-f]{{64}}$')"


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE migration_runs (
            migration_id   text PRIMARY KEY,
            run_id         text NOT NULL,
            attempt        integer NOT NULL CHECK (attempt >= 1),
            kind           text NOT NULL CHECK (kind IN ('migrate', 'release')),
            strategy       text NOT NULL CHECK (strategy IN ('etl', 'elt')),
            target_table   text NOT NULL,
            spec           jsonb NOT NULL,
            status         text NOT NULL CHECK (status IN
                               ('running', 'validated', 'promoted', 'noop', 'failed')),
            outcome        jsonb NOT NULL DEFAULT '{}',
            created_at     timestamptz NOT NULL DEFAULT now(),
            finished_at    timestamptz,
            UNIQUE (run_id, attempt)
        )
        """
    )
    op.execute(
        f"""
        CREATE TABLE migration_chunks (
            migration_id   text NOT NULL REFERENCES migration_runs(migration_id),
            chunk_id       integer NOT NULL CHECK (chunk_id >= 0),
            stage          text NOT NULL DEFAULT 'MIGRATION',
            status         text NOT NULL CHECK (status IN ('pending', 'staged', 'noop', 'failed')),
            content_hash   {_HASH.format(col="content_hash")},
            row_count_in   integer,
            row_count_out  integer,
            quarantined    integer,
            validations    jsonb NOT NULL DEFAULT '{{}}',
            next_action    text NOT NULL DEFAULT 'stage',
            attempts       integer NOT NULL DEFAULT 0,
            lease_owner    text,
            lease_at       timestamptz,
            started_at     timestamptz,
            finished_at    timestamptz,
            seconds        double precision,
            PRIMARY KEY (migration_id, chunk_id)
        )
        """
    )
    op.execute(
        """
        CREATE TABLE quarantine_rows (
            migration_id          text NOT NULL REFERENCES migration_runs(migration_id),
            chunk_id              integer NOT NULL,
            key                   text NOT NULL,
            ordinal               integer NOT NULL DEFAULT 0,
            run_id                text NOT NULL,
            reason_codes          text[] NOT NULL,
            masked_preview_before jsonb NOT NULL,
            masked_preview_after  jsonb NOT NULL,
            diff                  jsonb NOT NULL,
            rbac_required_role    text NOT NULL,
            status                text NOT NULL DEFAULT 'held'
                                  CHECK (status IN ('held', 'released')),
            released_by           text,
            released_at           timestamptz,
            created_at            timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (migration_id, chunk_id, key, ordinal)
        )
        """
    )
    op.execute("CREATE INDEX quarantine_rows_run ON quarantine_rows (run_id, status)")


def downgrade() -> None:
    for table in ("quarantine_rows", "migration_chunks", "migration_runs"):
        op.execute(f"DROP TABLE IF EXISTS {table}")
