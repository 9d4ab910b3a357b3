"""API keys: each bound to one tenant, one actor and one §32 role; stored as a hash.

A key reads ``cdt_<key_id>_<secret>``: ``key_id`` (12 hex characters) finds the row, and the
SHA-256 of ``secret`` (43 URL-safe characters, 256 random bits) must equal the stored hash. The
secret is shown once, when the key is created; the store keeps only its hash, so a leaked
database does not leak keys. A revoked key stops working at once for :func:`authenticate`; the
HTTP API caches a checked key for ``KEY_CACHE_S`` seconds, so there it stops within that time.

    >>> parse_token("cdt_0123456789ab_" + "x" * 43)
    ('0123456789ab', 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx')
    >>> parse_token("Bearer nonsense") is None
    True
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, get_args

from core.errors import ContractError, NotFoundError, PolicyBlock
from policy.manifest import Role

if TYPE_CHECKING:
    from core.db import Database

__all__ = [
    "KEY_CACHE_S",
    "ApiKey",
    "Principal",
    "Unauthenticated",
    "authenticate",
    "create_key",
    "list_keys",
    "parse_token",
    "revoke_key",
]

KEY_CACHE_S = 10.0
ROLES: tuple[str, ...] = get_args(Role)
_TOKEN = re.compile(r"^cdt_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
_TENANT = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_ACTOR = re.compile(r"^[\w.@+-]{1,120}$")


class Unauthenticated(PolicyBlock):
    """No key, a malformed key, an unknown or revoked one: 401, not 403."""

    http_status_override = 401


@dataclass(frozen=True)
class Principal:
    """Who calls: the key's tenant, actor and role."""

    key_id: str
    tenant: str
    actor: str
    role: str


@dataclass(frozen=True)
class ApiKey:
    """A stored key, without its secret."""

    key_id: str
    tenant: str
    actor: str
    role: str
    label: str
    created_at: str
    revoked_at: str | None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def parse_token(token: str) -> tuple[str, str] | None:
    """``(key_id, secret)`` of a well-formed key, else None."""
    match = _TOKEN.match(token.strip())
    return (match.group(1), match.group(2)) if match else None


def create_key(
    db: Database, *, tenant: str, actor: str, role: str, label: str = ""
) -> tuple[ApiKey, str]:
    """Store a new key; return it and its token (shown once, never stored).

    Raises:
        ContractError: an unknown role, or a tenant or actor name that is not a plain name.
    """
    from sqlalchemy import text

    if role not in ROLES:
        raise ContractError(f"role must be one of {', '.join(ROLES)}", field="role")
    if not _TENANT.match(tenant):
        raise ContractError(
            "a tenant is 1 to 63 lowercase letters, digits, '-' or '_'", field="tenant"
        )
    if not _ACTOR.match(actor):
        raise ContractError("an actor is 1 to 120 letters, digits or . @ + - _", field="actor")
    key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    with db.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO api_keys (key_id, tenant_id, actor, role, secret_hash, label)"
                " VALUES (:k, :t, :a, :r, :h, :l)"
            ),
            {"k": key_id, "t": tenant, "a": actor, "r": role, "h": _digest(secret), "l": label},
        )
    return _get(db, key_id), f"cdt_{key_id}_{secret}"


def authenticate(db: Database, token: str | None) -> Principal:
    """The principal of a key, or Unauthenticated (one message for every refusal, so a caller
    learns nothing about which keys exist)."""
    from sqlalchemy import text

    refused = Unauthenticated(
        "a valid API key is required: send 'Authorization: Bearer cdt_...' "
        "(create one with `conduit keys create`)",
        field="authorization",
    )
    parsed = parse_token(token or "")
    if parsed is None:
        raise refused
    key_id, secret = parsed
    with db.connect() as conn:
        row = conn.execute(
            text(
                "SELECT tenant_id, actor, role, secret_hash FROM api_keys"
                " WHERE key_id = :k AND revoked_at IS NULL"
            ),
            {"k": key_id},
        ).first()
    if row is None or not hmac.compare_digest(row.secret_hash.strip(), _digest(secret)):
        raise refused
    return Principal(key_id=key_id, tenant=row.tenant_id, actor=row.actor, role=row.role)


def _rows(db: Database, where: str, params: dict[str, Any]) -> list[ApiKey]:
    from sqlalchemy import text

    with db.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT key_id, tenant_id, actor, role, label, created_at, revoked_at"
                f" FROM api_keys WHERE {where} ORDER BY created_at, key_id"
            ),
            params,
        ).all()
    return [
        ApiKey(
            key_id=r.key_id,
            tenant=r.tenant_id,
            actor=r.actor,
            role=r.role,
            label=r.label,
            created_at=r.created_at.isoformat(),
            revoked_at=r.revoked_at.isoformat() if r.revoked_at else None,
        )
        for r in rows
    ]


def _get(db: Database, key_id: str) -> ApiKey:
    found = _rows(db, "key_id = :k", {"k": key_id})
    if not found:
        raise NotFoundError(f"no API key {key_id}", field="key_id")
    return found[0]


def list_keys(db: Database, *, tenant: str | None = None) -> list[ApiKey]:
    """Every key (of ``tenant``), oldest first, without secrets."""
    return _rows(db, "CAST(:t AS text) IS NULL OR tenant_id = :t", {"t": tenant})


def revoke_key(db: Database, key_id: str) -> ApiKey:
    """Revoke a key (idempotent: revoking a revoked key keeps its first revocation time)."""
    from sqlalchemy import text

    with db.begin() as conn:
        conn.execute(
            text("UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE key_id = :k"),
            {"k": key_id},
        )
    return _get(db, key_id)
