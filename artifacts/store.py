"""The artifact store: immutable, content-addressed, on PostgreSQL.

An artifact's key is the SHA-256 of its canonical JSON (``core.canonical``). ``put`` of content
that is already stored returns the stored reference and writes nothing; ``get`` re-hashes the
bytes it reads and raises :class:`ArtifactIntegrityError` when they no longer match. Content lives
once in ``artifacts``; each run's references to it, with their per-run versions, in
``artifact_refs``. Both tables refuse UPDATE, DELETE and TRUNCATE (triggers): artifacts are only
ever added.

A store is bound to one SQLAlchemy connection, so it takes part in the caller's transaction:
a run row, its contract artifact and its ledger event commit together or not at all.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any, Protocol

from artifacts.errors import ArtifactIntegrityError, ArtifactNotFound
from artifacts.models import ArtifactMeta, ArtifactRef, StoredArtifact
from core.canonical import canonical_json, sha256_hex
from core.db import require_transaction

if TYPE_CHECKING:
    from sqlalchemy import Connection, Row

__all__ = ["ArtifactStore", "PostgresArtifactStore"]

# Metadata of a reference joined with its content row.
_META = "r.hash, r.version, r.kind, r.schema_version, r.run_id, r.created_at, a.size_bytes"
_FROM = "artifact_refs r JOIN artifacts a ON a.hash = r.hash"


class ArtifactStore(Protocol):
    """What every artifact store implementation provides (see tests/artifacts)."""

    def put(
        self, kind: str, body: object, *, run_id: str | None, schema_version: str = "1"
    ) -> ArtifactRef: ...

    def get(self, hash_or_prefix: str) -> StoredArtifact: ...

    def meta(self, hash_or_prefix: str) -> ArtifactMeta: ...

    def list(self, run_id: str | None, *, kind: str | None = None) -> list[ArtifactMeta]: ...


def _meta(row: Row[Any]) -> ArtifactMeta:
    created = row.created_at
    if isinstance(created, dt.datetime):
        created = created.astimezone(dt.UTC)
    return ArtifactMeta(
        ref=ArtifactRef(hash=row.hash, version=row.version),
        kind=row.kind,
        schema_version=row.schema_version,
        run_id=row.run_id or None,
        created_at=created,
        size_bytes=row.size_bytes,
    )


class PostgresArtifactStore:
    """The PostgreSQL implementation, bound to a connection (and so to its transaction)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def put(
        self, kind: str, body: object, *, run_id: str | None, schema_version: str = "1"
    ) -> ArtifactRef:
        """Store ``body`` as an artifact of ``kind`` for ``run_id``; return its reference.

        Content is stored once, whoever stores it. A run that stores content it already holds
        under the same kind gets its existing reference back and nothing is written.
        """
        from sqlalchemy import text

        content = canonical_json(body)
        digest = sha256_hex(content)
        run = run_id or ""
        existing = self._ref(run, kind, digest)
        if existing is not None:
            return existing
        require_transaction(self._conn, "an artifact put")
        # Versions count per (run, kind); the lock makes concurrent puts take turns.
        self._conn.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
            {"k": f"artifact:{run}:{kind}"},
        )
        existing = self._ref(run, kind, digest)
        if existing is not None:
            return existing
        self._conn.execute(
            text(
                "INSERT INTO artifacts (hash, size_bytes, content)"
                " VALUES (:h, :n, :c) ON CONFLICT (hash) DO NOTHING"
            ),
            {"h": digest, "n": len(content), "c": content},
        )
        version = self._conn.execute(
            text(
                "INSERT INTO artifact_refs (run_id, kind, version, schema_version, hash)"
                " SELECT :r, :kind, coalesce(max(version), 0) + 1, :sv, :h FROM artifact_refs"
                " WHERE run_id = :r AND kind = :kind RETURNING version"
            ),
            {"r": run, "kind": kind, "sv": schema_version, "h": digest},
        ).scalar_one()
        return ArtifactRef(hash=digest, version=int(version))

    def _ref(self, run: str, kind: str, digest: str) -> ArtifactRef | None:
        from sqlalchemy import text

        row = self._conn.execute(
            text(
                "SELECT hash, version FROM artifact_refs"
                " WHERE run_id = :r AND kind = :kind AND hash = :h"
            ),
            {"r": run, "kind": kind, "h": digest},
        ).first()
        return None if row is None else ArtifactRef(hash=row.hash, version=row.version)

    def _resolve(self, hash_or_prefix: str, columns: str) -> Row[Any]:
        from sqlalchemy import text

        key = hash_or_prefix.strip().lower()
        if not 8 <= len(key) <= 64 or any(c not in "0123456789abcdef" for c in key):
            raise ArtifactNotFound(
                f"{hash_or_prefix!r} is not an artifact hash (8 to 64 hex characters)",
                field="hash",
            )
        # The earliest reference stands for the content when no run is named.
        rows = self._conn.execute(
            text(
                f"SELECT DISTINCT ON (r.hash) {columns} FROM {_FROM} WHERE r.hash LIKE :p"
                " ORDER BY r.hash, r.created_at, r.run_id LIMIT 2"
            ),
            {"p": key + "%"},
        ).all()
        if not rows:
            raise ArtifactNotFound(f"no artifact {hash_or_prefix}", field="hash")
        if len(rows) > 1:
            raise ArtifactNotFound(
                f"the prefix {hash_or_prefix} matches several artifacts; give more characters",
                field="hash",
            )
        return rows[0]

    def meta(self, hash_or_prefix: str) -> ArtifactMeta:
        """Metadata of one artifact, by full hash or an unambiguous prefix (>= 8 characters)."""
        return _meta(self._resolve(hash_or_prefix, _META))

    def get(self, hash_or_prefix: str) -> StoredArtifact:
        """Read an artifact and verify its hash.

        Raises:
            ArtifactNotFound: nothing is stored under that hash.
            ArtifactIntegrityError: the stored bytes do not hash to the key.
        """
        row = self._resolve(hash_or_prefix, _META + ", a.content")
        content = bytes(row.content)
        actual = sha256_hex(content)
        if actual != row.hash:
            raise ArtifactIntegrityError(
                f"artifact {row.hash} ({row.kind} v{row.version}) is corrupt: its bytes hash to "
                f"{actual}; it was changed outside Conduit",
                field="hash",
            )
        return StoredArtifact(meta=_meta(row), body=json.loads(content))

    def list(self, run_id: str | None, *, kind: str | None = None) -> list[ArtifactMeta]:
        """Artifacts of a run (or the run-less ones for ``None``), oldest first."""
        from sqlalchemy import text

        rows = self._conn.execute(
            text(
                f"SELECT {_META} FROM {_FROM} WHERE r.run_id = :r"
                " AND (CAST(:kind AS text) IS NULL OR r.kind = :kind)"
                " ORDER BY r.created_at, r.kind, r.version"
            ),
            {"r": run_id or "", "kind": kind},
        ).all()
        return [_meta(row) for row in rows]
