"""Records: versioned artifacts, canonical JSON + SHA-256, and the immutable artifact store."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.lazy import lazy_exports

_EXPORTS = {
    "ArtifactRef": "models",
    "ArtifactMeta": "models",
    "StoredArtifact": "models",
    "ArtifactStore": "store",
    "PostgresArtifactStore": "store",
    "ArtifactNotFound": "errors",
    "ArtifactIntegrityError": "errors",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from artifacts.errors import ArtifactIntegrityError, ArtifactNotFound
    from artifacts.models import ArtifactMeta, ArtifactRef, StoredArtifact
    from artifacts.store import ArtifactStore, PostgresArtifactStore
