"""The live Domain Catalog: the one new runs pin, and the key of every cache that depends on it.

The live catalog is the ``domain_catalogs`` row whose status is ``live`` (``conduit domains
promote`` makes one); while there is none it is the bundled ``catalog_v1.yaml``. Parsed catalogs
are kept in process per content hash, so a run reads the row but validates a body once; a
promotion calls :func:`invalidate_domain_caches`, and :func:`domain_cache_key` changes with the
live hash, so nothing computed for the old catalog is served for the new one.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, NamedTuple

from core.canonical import content_hash
from core.errors import IntegrityError
from specialists.domains.catalog import DomainCatalog, catalog_hash, load_catalog
from specialists.domains.vectors import EMBEDDER

if TYPE_CHECKING:
    from sqlalchemy import Connection

__all__ = [
    "LiveRef",
    "domain_cache_key",
    "invalidate_domain_caches",
    "live_catalog",
    "live_ref",
    "remember",
]

_MAX_PARSED = 8  # catalogs kept parsed in process (live, staged candidates, the bundled one)
_parsed: dict[str, DomainCatalog] = {}
_lock = threading.Lock()


class LiveRef(NamedTuple):
    """Which catalog is live: its version, content hash, and whether it is the bundled one."""

    version: str
    hash: str
    bundled: bool


def live_ref(conn: Connection) -> LiveRef:
    """The version and hash of the live catalog (the bundled one when none was promoted)."""
    from sqlalchemy import text

    row = conn.execute(
        text("SELECT version, hash FROM domain_catalogs WHERE status = 'live'")
    ).first()
    if row is None:
        bundled = load_catalog()
        return LiveRef(bundled.version, catalog_hash(bundled), True)
    return LiveRef(str(row.version), str(row.hash).strip(), False)


def live_catalog(conn: Connection) -> DomainCatalog:
    """The catalog runs use now."""
    from sqlalchemy import text

    ref = live_ref(conn)
    if ref.bundled:
        return load_catalog()
    cached = _parsed.get(ref.hash)
    if cached is not None:
        return cached
    body = conn.execute(
        text("SELECT body FROM domain_catalogs WHERE version = :v"), {"v": ref.version}
    ).scalar_one()
    return remember(DomainCatalog.model_validate(body), ref.hash)


def remember(catalog: DomainCatalog, expected_hash: str | None = None) -> DomainCatalog:
    """Keep ``catalog`` parsed in process by its hash; IntegrityError when a stored body no
    longer hashes to the hash stored beside it."""
    digest = catalog_hash(catalog)
    if expected_hash is not None and digest != expected_hash:
        raise IntegrityError(
            f"domain catalog {catalog.version} hashes to {digest[:12]}, not the stored "
            f"{expected_hash[:12]}: its body was changed after it was stored",
            field="domain_catalogs.body",
        )
    with _lock:
        if len(_parsed) >= _MAX_PARSED:
            _parsed.pop(next(iter(_parsed)))
        _parsed[digest] = catalog
    return catalog


def invalidate_domain_caches() -> None:
    """Drop every catalog kept parsed in this process (a promotion calls it)."""
    with _lock:
        _parsed.clear()


def domain_cache_key(conn: Connection) -> str:
    """The key prefix of anything computed from the live catalog: it changes with the live
    catalog's version and hash and with the embedder of its centroids.

    Example key: ``domains:1.1.0:3f2a9c...`` (the last part a SHA-256 of hash and embedder).
    """
    ref = live_ref(conn)
    return f"domains:{ref.version}:{content_hash({'catalog': ref.hash, 'embedder': EMBEDDER})}"
