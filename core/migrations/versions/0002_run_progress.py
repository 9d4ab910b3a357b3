"""Run progress: one row per run and stage, the stage's latest progress (rows or bytes done of
a total), written by whichever process runs the stage and read by ``--follow``.

Progress is a display aid, not a record: rows are overwritten in place; the ledger and the
artifacts are the record.

Revision ID: 0002_run_progress
Revises: 0001_foundation
"""

from __future__ import annotations

from alembic import op

revision = "0002_run_progress"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE run_progress (
            run_id      text NOT NULL REFERENCES runs(run_id),
            stage       text NOT NULL,
            phase       text NOT NULL,
            done        bigint NOT NULL DEFAULT 0 CHECK (done >= 0),
            total       bigint CHECK (total IS NULL OR total >= 0),
            unit        text NOT NULL CHECK (unit IN ('rows', 'bytes', 'tables', 'steps')),
            updated_at  timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (run_id, stage)
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS run_progress")
