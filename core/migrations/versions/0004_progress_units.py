"""Progress in columns (Domains) and cases (the golden eval), besides rows, bytes, tables and
steps.

Revision ID: 0004_progress_units
Revises: 0003_domain_centroids
"""

from __future__ import annotations

from alembic import op

revision = "0004_progress_units"
down_revision = "0003_domain_centroids"
branch_labels = None
depends_on = None

_UNITS = "('rows', 'bytes', 'tables', 'steps', 'columns', 'cases')"


def upgrade() -> None:
    op.execute("ALTER TABLE run_progress DROP CONSTRAINT run_progress_unit_check")
    op.execute(
        f"ALTER TABLE run_progress ADD CONSTRAINT run_progress_unit_check CHECK (unit IN {_UNITS})"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE run_progress DROP CONSTRAINT run_progress_unit_check")
    op.execute(
        "ALTER TABLE run_progress ADD CONSTRAINT run_progress_unit_check"
        " CHECK (unit IN ('rows', 'bytes', 'tables', 'steps'))"
    )
