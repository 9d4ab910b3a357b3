"""Typed records of the artifact store."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

__all__ = ["ArtifactRef", "ArtifactMeta", "StoredArtifact"]


@dataclass(frozen=True, order=True)
class ArtifactRef:
    """How anything refers to an artifact (§27): its content hash and its version.

    ``version`` counts the artifacts of one kind within one run (Catalog v1, v2, ...); run-less
    artifacts (profiles, manifests) count per kind.
    """

    hash: str
    version: int

    def short(self) -> str:
        return f"{self.hash[:12]}@v{self.version}"


@dataclass(frozen=True)
class ArtifactMeta:
    """Everything about a stored artifact but its body."""

    ref: ArtifactRef
    kind: str
    schema_version: str
    run_id: str | None
    created_at: dt.datetime
    size_bytes: int


@dataclass(frozen=True)
class StoredArtifact:
    """An artifact read back from the store, its hash verified."""

    meta: ArtifactMeta
    body: Any
