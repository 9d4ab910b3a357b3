"""Errors of the artifact store (see ``core.errors`` for the tree)."""

from __future__ import annotations

from core.errors import IntegrityError, NotFoundError


class ArtifactNotFound(NotFoundError):
    """No artifact is stored under that hash."""


class ArtifactIntegrityError(IntegrityError):
    """A stored artifact's bytes no longer hash to its key: it was altered outside Conduit."""
