"""Migration Runs, chunk checkpoints, leases and quarantine in the control-plane store (§37, §44).

**Leases.** A worker owns a chunk while it holds the PostgreSQL advisory lock
``(hashtext(migration_id), chunk_id)`` on its own control-plane connection
(:class:`ChunkLease`). The lock ends with the connection, so a worker killed by SIGKILL or OOM
releases its chunks at once and another worker takes them, with no expiry to wait out. The
``lease_owner`` and ``lease_at`` columns say who holds a chunk, for people; the lock decides.
A worker that loses its connection while it still writes is fenced off by the target's chunk
marker (``specialists.migration.targets.base``): a chunk is staged once, whoever races for it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from core.errors import NotFoundError

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from core.db import Database
    from specialists.migration.chunks import QuarantineRow
    from specialists.migration.spec import MigrationSpec

__all__ = [
    "ChunkLease",
    "checkpoints",
    "create_migration",
    "finish_chunk",
    "latest_migration",
    "load_spec",
    "migration_row",
    "put_quarantine",
    "quarantine_rows",
    "set_status",
]


def create_migration(db: Database, spec: MigrationSpec, chunks: int) -> None:
    """Store the Migration Run and one pending checkpoint per chunk (nothing when it exists)."""
    from sqlalchemy import text

    with db.begin() as conn:
        inserted = conn.execute(
            text(
                "INSERT INTO migration_runs (migration_id, run_id, attempt, kind, strategy,"
                " target_table, spec, status) VALUES (:m, :r, :a, :k, :s, :t, :spec, 'running')"
                " ON CONFLICT (migration_id) DO NOTHING RETURNING 1"
            ),
            {
                "m": spec.migration_id,
                "r": spec.run_id,
                "a": spec.attempt,
                "k": spec.kind,
                "s": spec.strategy,
                "t": spec.target_table,
                "spec": json.dumps(spec.model_dump(mode="json") | {"chunks": chunks}),
            },
        ).first()
        if inserted:
            conn.execute(
                text(
                    "INSERT INTO migration_chunks (migration_id, chunk_id, status)"
                    " SELECT :m, n, 'pending' FROM generate_series(0, :last) AS n"
                ),
                {"m": spec.migration_id, "last": chunks - 1},
            )


def migration_row(db: Database, migration_id: str) -> dict[str, Any]:
    from sqlalchemy import text

    with db.connect() as conn:
        row = (
            conn.execute(
                text("SELECT * FROM migration_runs WHERE migration_id = :m"), {"m": migration_id}
            )
            .mappings()
            .first()
        )
    if row is None:
        raise NotFoundError(f"no migration {migration_id}")
    return dict(row)


def latest_migration(db: Database, run_id: str, kind: str | None = None) -> dict[str, Any] | None:
    """The run's newest Migration Run (of ``kind``), or None."""
    from sqlalchemy import text

    with db.connect() as conn:
        row = (
            conn.execute(
                text(
                    "SELECT * FROM migration_runs WHERE run_id = :r"
                    " AND (CAST(:k AS text) IS NULL OR kind = :k)"
                    " ORDER BY attempt DESC LIMIT 1"
                ),
                {"r": run_id, "k": kind},
            )
            .mappings()
            .first()
        )
    return dict(row) if row else None


def next_attempt(db: Database, run_id: str) -> int:
    from sqlalchemy import text

    with db.connect() as conn:
        return int(
            conn.execute(
                text("SELECT coalesce(max(attempt), 0) + 1 FROM migration_runs WHERE run_id = :r"),
                {"r": run_id},
            ).scalar_one()
        )


def load_spec(row: dict[str, Any]) -> tuple[MigrationSpec, int]:
    from specialists.migration.spec import MigrationSpec

    doc = dict(row["spec"])
    chunks = int(doc.pop("chunks"))
    return MigrationSpec.model_validate(doc), chunks


def set_status(db: Database, migration_id: str, status: str, outcome: dict[str, Any]) -> None:
    from sqlalchemy import text

    with db.begin() as conn:
        conn.execute(
            text(
                "UPDATE migration_runs SET status = :s, outcome = :o,"
                " finished_at = CASE WHEN :s IN ('promoted', 'noop', 'failed') THEN now() END"
                " WHERE migration_id = :m"
            ),
            {"s": status, "o": json.dumps(outcome, default=str), "m": migration_id},
        )


class ChunkLease:
    """A worker's hold on chunks: one control-plane connection whose advisory locks are leases."""

    def __init__(self, db: Database, migration_id: str, owner: str) -> None:
        self.db, self.migration_id, self.owner = db, migration_id, owner
        self._conn: Connection = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")

    def close(self) -> None:
        from sqlalchemy import text

        try:  # the pool keeps the connection: leave no lease on it
            self._conn.execute(text("SELECT pg_advisory_unlock_all()"))
        finally:
            self._conn.close()

    def claim(self) -> int | None:
        """Take the lowest pending chunk no one holds; None when there is none."""
        from sqlalchemy import text

        pending = (
            self._conn.execute(
                text(
                    "SELECT chunk_id FROM migration_chunks WHERE migration_id = :m"
                    " AND status = 'pending' ORDER BY chunk_id"
                ),
                {"m": self.migration_id},
            )
            .scalars()
            .all()
        )
        for chunk_id in pending:
            got = self._conn.execute(
                text("SELECT pg_try_advisory_lock(hashtext(:m), :c)"),
                {"m": self.migration_id, "c": chunk_id},
            ).scalar_one()
            if not got:
                continue
            taken = self._conn.execute(
                text(
                    "UPDATE migration_chunks SET lease_owner = :o, lease_at = now(),"
                    " attempts = attempts + 1, started_at = coalesce(started_at, now())"
                    " WHERE migration_id = :m AND chunk_id = :c AND status = 'pending'"
                    " RETURNING 1"
                ),
                {"o": self.owner, "m": self.migration_id, "c": chunk_id},
            ).first()
            if taken:
                return int(chunk_id)
            self.release(chunk_id)  # finished by someone else meanwhile
        return None

    def release(self, chunk_id: int) -> None:
        from sqlalchemy import text

        self._conn.execute(
            text("SELECT pg_advisory_unlock(hashtext(:m), :c)"),
            {"m": self.migration_id, "c": chunk_id},
        )


@contextmanager
def leased(db: Database, migration_id: str, owner: str) -> Iterator[ChunkLease]:
    lease = ChunkLease(db, migration_id, owner)
    try:
        yield lease
    finally:
        lease.close()


def put_quarantine(
    db: Database, spec: MigrationSpec, chunk_id: int, rows: Sequence[QuarantineRow], role: str
) -> None:
    """Replace the chunk's quarantine records by ``rows`` (a re-run of a chunk writes the same)."""
    from sqlalchemy import text

    with db.begin() as conn:
        conn.execute(
            text("DELETE FROM quarantine_rows WHERE migration_id = :m AND chunk_id = :c"),
            {"m": spec.migration_id, "c": chunk_id},
        )
        if rows:
            conn.execute(
                text(
                    "INSERT INTO quarantine_rows (migration_id, chunk_id, key, ordinal, run_id,"
                    " reason_codes, masked_preview_before, masked_preview_after, diff,"
                    " rbac_required_role) VALUES (:m, :c, :k, :o, :r, :codes, :b, :a, :d, :role)"
                ),
                [
                    {
                        "m": spec.migration_id,
                        "c": chunk_id,
                        "k": q.key,
                        "o": q.ordinal,
                        "r": spec.run_id,
                        "codes": q.reasons,
                        "b": json.dumps(q.before),
                        "a": json.dumps(q.after),
                        "d": json.dumps(q.diff),
                        "role": role,
                    }
                    for q in rows
                ],
            )


def add_quarantine(
    db: Database, spec: MigrationSpec, chunk_id: int, rows: Sequence[QuarantineRow], role: str
) -> None:
    """Add records found after staging (foreign keys), keeping the chunk's earlier ones."""
    from sqlalchemy import text

    with db.begin() as conn:
        for q in rows:
            conn.execute(
                text(
                    "INSERT INTO quarantine_rows (migration_id, chunk_id, key, ordinal, run_id,"
                    " reason_codes, masked_preview_before, masked_preview_after, diff,"
                    " rbac_required_role) VALUES (:m, :c, :k, :o, :r, :codes, :b, :a, :d, :role)"
                    " ON CONFLICT (migration_id, chunk_id, key, ordinal) DO UPDATE SET"
                    " reason_codes = (SELECT array_agg(DISTINCT x ORDER BY x) FROM"
                    " unnest(quarantine_rows.reason_codes || EXCLUDED.reason_codes) x)"
                ),
                {
                    "m": spec.migration_id,
                    "c": chunk_id,
                    "k": q.key,
                    "o": q.ordinal,
                    "r": spec.run_id,
                    "codes": q.reasons,
                    "b": json.dumps(q.before),
                    "a": json.dumps(q.after),
                    "d": json.dumps(q.diff),
                    "role": role,
                },
            )
            conn.execute(
                text(
                    "UPDATE migration_chunks SET quarantined = quarantined + 1,"
                    " row_count_out = row_count_out - 1 WHERE migration_id = :m AND chunk_id = :c"
                ),
                {"m": spec.migration_id, "c": chunk_id},
            )


def finish_chunk(
    db: Database,
    migration_id: str,
    chunk_id: int,
    *,
    status: str,
    content_hash: str,
    rows_in: int,
    rows_out: int,
    quarantined: int,
    validations: dict[str, Any],
    seconds: float,
) -> None:
    from sqlalchemy import text

    with db.begin() as conn:
        conn.execute(
            text(
                "UPDATE migration_chunks SET status = :s, content_hash = :h, row_count_in = :i,"
                " row_count_out = :o, quarantined = :q, validations = :v, finished_at = now(),"
                " seconds = :sec, next_action = :next, lease_owner = NULL"
                " WHERE migration_id = :m AND chunk_id = :c"
            ),
            {
                "s": status,
                "h": content_hash,
                "i": rows_in,
                "o": rows_out,
                "q": quarantined,
                "v": json.dumps(validations),
                "sec": seconds,
                "next": "promote" if status == "staged" else "none",
                "m": migration_id,
                "c": chunk_id,
            },
        )


def checkpoints(db: Database, migration_id: str) -> list[dict[str, Any]]:
    """The §37 checkpoint records of a migration, in chunk order."""
    from sqlalchemy import text

    with db.connect() as conn:
        rows = (
            conn.execute(
                text(
                    "SELECT migration_id, stage, chunk_id, content_hash, started_at, finished_at,"
                    " row_count_in, row_count_out, quarantined, validations, status, next_action,"
                    " attempts, seconds FROM migration_chunks WHERE migration_id = :m"
                    " ORDER BY chunk_id"
                ),
                {"m": migration_id},
            )
            .mappings()
            .all()
        )
    return [dict(r) for r in rows]


def quarantine_rows(
    db: Database, run_id: str, status: str | None = "held", migration_id: str | None = None
) -> list[dict[str, Any]]:
    """The run's quarantine records (``held`` ones by default), oldest first."""
    from sqlalchemy import text

    with db.connect() as conn:
        rows = (
            conn.execute(
                text(
                    "SELECT q.* FROM quarantine_rows q JOIN migration_runs m USING (migration_id)"
                    " WHERE q.run_id = :r AND (CAST(:s AS text) IS NULL OR q.status = :s)"
                    " AND (CAST(:m AS text) IS NULL OR q.migration_id = :m)"
                    " ORDER BY m.attempt, q.chunk_id, q.key, q.ordinal"
                ),
                {"r": run_id, "s": status, "m": migration_id},
            )
            .mappings()
            .all()
        )
    return [dict(r) for r in rows]


def mark_released(db: Database, run_id: str, keys: Sequence[str], actor: str) -> int:
    """Mark the held records of ``keys`` released (their rows were promoted)."""
    from sqlalchemy import text

    if not keys:
        return 0
    with db.begin() as conn:
        result = conn.execute(
            text(
                "UPDATE quarantine_rows SET status = 'released', released_by = :a,"
                " released_at = now() WHERE run_id = :r AND status = 'held' AND key = ANY(:k)"
            ),
            {"a": actor, "r": run_id, "k": list(keys)},
        )
        return int(result.rowcount)


def drop_quarantine(db: Database, migration_id: str) -> None:
    """Delete a release attempt's records (the rows still failing keep their original ones)."""
    from sqlalchemy import text

    with db.begin() as conn:
        conn.execute(
            text("DELETE FROM quarantine_rows WHERE migration_id = :m"), {"m": migration_id}
        )
