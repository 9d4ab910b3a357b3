"""Domain Catalog versions and the feedback behind them (§8 promotion workflow).

``domain_catalogs`` holds every catalog version past the bundled one: staged, live, retired or
refused, with its body, the deltas that made it from its parent, its provenance (who staged,
tested and promoted it, when, the feedback behind it) and its golden-eval metrics before and
after. At most one row is live (a partial unique index); with none, runs use the bundled
catalog. ``domain_feedback`` is what people decided about a column's domain (accept or
override), the evidence staged aliases are proposed from.

Revision ID: 0005_domain_catalogs
Revises: 0004_progress_units
"""

from __future__ import annotations

from alembic import op

revision = "0005_domain_catalogs"
down_revision = "0004_progress_units"
branch_labels = None
depends_on = None

_HASH = "char(64) CHECK ({col} ~ '^[0-9a-f]{{64}}$')"


def upgrade() -> None:
    op.execute(
        f"""
        CREATE TABLE domain_catalogs (
            version        text PRIMARY KEY CHECK (version ~ '^[0-9]+\\.[0-9]+\\.[0-9]+$'),
            hash           {_HASH.format(col="hash")} NOT NULL,
            parent_version text,
            parent_hash    {_HASH.format(col="parent_hash")},
            status         text NOT NULL
                           CHECK (status IN ('staged', 'live', 'retired', 'refused')),
            body           jsonb NOT NULL,
            deltas         jsonb NOT NULL DEFAULT '[]',
            feedback_ids   jsonb NOT NULL DEFAULT '[]',
            staged_by      text NOT NULL,
            staged_role    text NOT NULL,
            staged_at      timestamptz NOT NULL DEFAULT now(),
            tested_at      timestamptz,
            evaluation     jsonb,
            promoted_by    text,
            promoted_role  text,
            promoted_at    timestamptz,
            retired_at     timestamptz
        )
        """
    )
    op.execute(
        "CREATE UNIQUE INDEX domain_catalogs_one_live ON domain_catalogs (status)"
        " WHERE status = 'live'"
    )
    op.execute(
        f"""
        CREATE TABLE domain_feedback (
            feedback_id      text PRIMARY KEY,
            run_id           text,
            table_name       text,
            column_name      text,
            header           text NOT NULL,
            header_key       text NOT NULL,
            proposed_domain  text,
            decided_domain   text NOT NULL,
            verdict          text NOT NULL CHECK (verdict IN ('accept', 'override')),
            actor            text NOT NULL,
            role             text NOT NULL,
            catalog_version  text NOT NULL,
            catalog_hash     {_HASH.format(col="catalog_hash")} NOT NULL,
            created_at       timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute("CREATE INDEX domain_feedback_header ON domain_feedback (header_key)")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS domain_feedback")
    op.execute("DROP TABLE IF EXISTS domain_catalogs")
