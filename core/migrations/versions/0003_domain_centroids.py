"""Domain centroids: per catalog version and domain, the pgvector centroid of its names (aliases,
id, description) and of its value shapes (curated examples), for nearest-domain candidates.

Rows are keyed by the catalog's content hash, so a promoted catalog adds its own rows and a
run pinned to an older catalog still finds that catalog's centroids. No ANN index: a catalog
has under a few hundred centroids, an exact scan takes well under a millisecond, and an HNSW
index filtered by ``catalog_hash`` may return fewer than k rows (pgvector filters after the
index scan).

Revision ID: 0003_domain_centroids
Revises: 0002_run_progress
"""

from __future__ import annotations

from alembic import op

revision = "0003_domain_centroids"
down_revision = "0002_run_progress"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE domain_centroids (
            catalog_hash  text NOT NULL,
            domain_id     text NOT NULL,
            kind          text NOT NULL CHECK (kind IN ('name', 'value')),
            embedder      text NOT NULL,
            members       integer NOT NULL CHECK (members > 0),
            centroid      vector(256) NOT NULL,
            PRIMARY KEY (catalog_hash, kind, domain_id)
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS domain_centroids")
