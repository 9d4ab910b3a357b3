"""Policy Manifests in the store, and the Policy Engine's faces: publish, show, check.

Manifests are immutable once stored: editing one is publishing a new version (Maintainer/Admin,
§32), checked against the RBAC of the newest stored manifest. New runs pin the newest version.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import ContractError, DeterministicFailure
from policy.manifest import PolicyManifest, parse_manifest
from policy.rbac import require
from supervisor.reference import ensure_reference_data, store_manifest

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from core.db import Database
    from policy.engine import Decision

__all__ = [
    "all_manifests",
    "check_request",
    "manifest_version",
    "list_manifests",
    "newest_manifest",
    "pii_key",
    "publish_manifest",
    "stored_manifest",
]


def _semver(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in version.split("."))


def list_manifests(conn: Connection) -> list[PolicyManifest]:
    """Every stored manifest, oldest version first."""
    from sqlalchemy import text

    rows = conn.execute(text("SELECT body FROM policy_manifests")).scalars().all()
    manifests = [PolicyManifest.model_validate(body) for body in rows]
    return sorted(manifests, key=lambda m: _semver(m.version))


def stored_manifest(conn: Connection, version: str) -> PolicyManifest:
    """The stored manifest ``version``; DETERMINISTIC_FAILURE naming the known ones if absent."""
    from sqlalchemy import text

    body = conn.execute(
        text("SELECT body FROM policy_manifests WHERE policy_version = :v"), {"v": version}
    ).scalar()
    if body is None:
        known = ", ".join(m.version for m in list_manifests(conn))
        raise ContractError(
            f"policy_version {version} is not a stored Policy Manifest (known: {known})",
            field="policy_version",
        )
    return PolicyManifest.model_validate(body)


def newest_manifest(conn: Connection) -> PolicyManifest:
    """The newest stored manifest: the version new runs pin."""
    return list_manifests(conn)[-1]


def all_manifests(db: Database) -> list[PolicyManifest]:
    """Every stored manifest (the bundled ones stored first), oldest version first."""
    with db.begin() as conn:
        ensure_reference_data(conn)
        return list_manifests(conn)


def manifest_version(db: Database, version: str | None) -> PolicyManifest:
    """The stored manifest ``version``, or the newest when None."""
    with db.begin() as conn:
        ensure_reference_data(conn)
        return stored_manifest(conn, version) if version else newest_manifest(conn)


def publish_manifest(db: Database, text: str, *, actor: str, role: str) -> PolicyManifest:
    """Store a new manifest version written as YAML; refuse roles below Maintainer and versions
    that are not newer than every stored one."""
    manifest = parse_manifest(text)
    with db.begin() as conn:
        ensure_reference_data(conn)
        newest = newest_manifest(conn)
        require(newest, role, "edit_policy_manifest", actor=actor)
        if _semver(manifest.version) <= _semver(newest.version):
            raise ContractError(
                f"policy version {manifest.version} is not newer than the newest stored one "
                f"({newest.version}); a changed manifest needs a new, higher version",
                field="version",
            )
        store_manifest(conn, manifest)
    return manifest


def check_request(
    db: Database, doc: object, *, newest: PolicyManifest | None = None
) -> tuple[Decision, PolicyManifest]:
    """``policy_check`` of a request document (``policy_version`` picks the manifest; without
    one, ``newest`` when the caller holds it — the HTTP API caches it — else the newest stored)."""
    from pydantic import ValidationError

    from policy.engine import PolicyRequest, policy_check

    if not isinstance(doc, dict):
        raise ContractError("a policy request is a mapping", field="request")
    body: dict[str, Any] = dict(doc)
    version = body.pop("policy_version", None)
    try:
        request = PolicyRequest.model_validate(body)
    except ValidationError as e:
        first = e.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise ContractError(
            f"invalid policy request: {field}: {first['msg']}", field=field
        ) from None
    if newest is not None and not version:
        return policy_check(newest, request), newest
    with db.begin() as conn:
        ensure_reference_data(conn)
        manifest = stored_manifest(conn, str(version)) if version else newest_manifest(conn)
    return policy_check(manifest, request), manifest


def pii_key(home: Path, secret: str | None, tenant: str = "default") -> bytes:
    """The tenant's pseudonym key: HMAC-SHA-256 of the tenant id under the master secret.

    The master secret is ``CONDUIT_PII_SECRET`` when set; otherwise 32 random bytes kept in
    ``<home>/secrets/pii.key`` (created on first use, mode 0600). Rotating it changes every
    pseudonym token.
    """
    if secret:
        master = secret.encode()
        if len(master) < 16:
            raise DeterministicFailure(
                "CONDUIT_PII_SECRET is shorter than 16 bytes", field="CONDUIT_PII_SECRET"
            )
    else:
        master = _key_file(home / "secrets" / "pii.key")
    return hmac.new(master, f"conduit-pii-tenant:{tenant}".encode(), hashlib.sha256).digest()


def _key_file(path: Path) -> bytes:
    """The key in ``path``, created atomically on first use (two processes starting together
    agree on one key; a crash never leaves a short file behind)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(os.urandom(32))
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(temp, path)  # fails if another process got there first: keep theirs
        except FileExistsError:
            pass
        finally:
            temp.unlink()
    master = path.read_bytes()
    if len(master) < 16:
        raise DeterministicFailure(f"{path} holds fewer than 16 bytes", field="pii.key")
    return master
