"""The artifact store: immutable, content-addressed, on PostgreSQL.

An artifact's key is the SHA-256 of its canonical JSON (``core.canonical``). ``put`` of content
that is already stored returns the stored reference and writes nothing; ``get`` re-hashes the
bytes it reads and raises :class:`ArtifactIntegrityError` when they no longer match. The table
refuses UPDATE, DELETE and TRUNCATE (a trigger), so an artifact can only be added.

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

if TYPE_CHECKING:
    from sqlalchemy import Connection, Row

__all__ = ["ArtifactStore", "PostgresArtifactStore"]

_META_COLUMNS = "hash, version, kind, schema_version, run_id, created_at, size_bytes"


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
        run_id=row.run_id,
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
        """Store ``body`` as an artifact of ``kind``; return its reference.

        Identical content returns the reference already stored and writes nothing.
        """
        from sqlalchemy import text

        content = canonical_json(body)
        digest = sha256_hex(content)
        existing = self._find(digest)
        if existing is not None:
            return existing
        # Versions count per (run, kind); the lock makes concurrent puts take turns.
        self._conn.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
            {"k": f"artifact:{run_id or ''}:{kind}"},
        )
        existing = self._find(digest)
        if existing is not None:
            return existing
        version = self._conn.execute(
            text(
                "SELECT coalesce(max(version), 0) + 1 FROM artifacts "
                "WHERE coalesce(run_id, '') = :r AND kind = :kind"
            ),
            {"r": run_id or "", "kind": kind},
        ).scalar_one()
        self._conn.execute(
            text(
                "INSERT INTO artifacts (hash, kind, version, schema_version, run_id, size_bytes,"
                " content) VALUES (:h, :kind, :v, :sv, :r, :n, :c) ON CONFLICT (hash) DO NOTHING"
            ),
            {
                "h": digest,
                "kind": kind,
                "v": version,
                "sv": schema_version,
                "r": run_id,
                "n": len(content),
                "c": content,
            },
        )
        found = self._find(digest)
        assert found is not None
        return found

    def _find(self, digest: str) -> ArtifactRef | None:
        from sqlalchemy import text

        row = self._conn.execute(
            text("SELECT hash, version FROM artifacts WHERE hash = :h"), {"h": digest}
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
        if len(key) == 64:
            rows = self._conn.execute(
                text(f"SELECT {columns} FROM artifacts WHERE hash = :h"), {"h": key}
            ).all()
        else:
            rows = self._conn.execute(
                text(f"SELECT {columns} FROM artifacts WHERE hash LIKE :p LIMIT 2"),
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
        return _meta(self._resolve(hash_or_prefix, _META_COLUMNS))

    def get(self, hash_or_prefix: str) -> StoredArtifact:
        """Read an artifact and verify its hash.

        Raises:
            ArtifactNotFound: nothing is stored under that hash.
            ArtifactIntegrityError: the stored bytes do not hash to the key.
        """
        row = self._resolve(hash_or_prefix, _META_COLUMNS + ", content")
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
                f"SELECT {_META_COLUMNS} FROM artifacts WHERE coalesce(run_id, '') = :r"
                " AND (CAST(:kind AS text) IS NULL OR kind = :kind)"
                " ORDER BY created_at, kind, version"
            ),
            {"r": run_id or "", "kind": kind},
        ).all()
        return [_meta(row) for row in rows]
