"""What every handler shares: the app's parts (``Api``) and the caller (``Caller``).

``Api`` holds the control-plane store (as the application's role), the lane executor runs are
queued on, the rate limiter and the data root. ``caller`` is the one dependency of every route
but the health and metrics ones: it checks the API key (``supervisor.keys.authenticate``, cached
for ``KEY_CACHE_S``), takes a token from the key's bucket, and hands the handler the principal
and a store handle bound to the key's tenant (row-level security, ``core.db.TenantDatabase``).
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.http.ratelimit import RateLimiter
from supervisor.keys import KEY_CACHE_S, Principal, authenticate

if TYPE_CHECKING:
    from core.db import Database, TenantDatabase
    from core.settings import Settings
    from policy.manifest import PolicyManifest
    from supervisor.executors import LaneExecutor
    from supervisor.graph import GraphContext

__all__ = ["Api", "Caller", "CallerDep", "api_of", "caller", "used"]

_bearer = HTTPBearer(auto_error=False, description="An API key: `Bearer cdt_<id>_<secret>`.")


@dataclass
class Api:
    """The parts of one running API."""

    settings: Settings
    db: Database
    executor: LaneExecutor
    limiter: RateLimiter
    data_root: Path
    metrics: Any = None
    _keys: dict[str, tuple[float, Principal]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _manifest: tuple[float, PolicyManifest] | None = None

    def principal(self, token: str | None) -> Principal:
        now = time.monotonic()
        if token:
            with self._lock:
                hit = self._keys.get(token)
            if hit is not None and hit[0] > now:
                return hit[1]
        found = authenticate(self.db, token)
        with self._lock:
            if len(self._keys) > 10_000:
                self._keys.clear()
            self._keys[token or ""] = (now + KEY_CACHE_S, found)
        return found

    def newest_manifest(self) -> PolicyManifest:
        """The newest stored Policy Manifest (cached for a few seconds)."""
        from supervisor.policies import newest_manifest

        now = time.monotonic()
        if self._manifest is not None and self._manifest[0] > now:
            return self._manifest[1]
        with self.db.connect() as conn:
            manifest = newest_manifest(conn)
        self._manifest = (now + 5.0, manifest)
        return manifest

    def context(self, run_id: str) -> GraphContext:
        """The graph context of a run (its pinned manifest and pseudonym key)."""
        from supervisor.graph import context_for

        secret = self.settings.pii_secret
        return context_for(
            self.db,
            run_id,
            base=self.data_root,
            home=self.settings.home,
            secret=secret.get_secret_value() if secret else None,
            env=os.environ,
        )


@dataclass(frozen=True)
class Caller:
    """Who calls, and the store as their tenant sees it."""

    principal: Principal
    db: TenantDatabase
    api: Api

    @property
    def tenant(self) -> str:
        return self.principal.tenant

    @property
    def actor(self) -> str:
        return self.principal.actor

    @property
    def role(self) -> str:
        return self.principal.role


def api_of(request: Request) -> Api:
    found: Api = request.app.state.api
    return found


def caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)] = None,
) -> Caller:
    """The authenticated, rate-limited caller of a request (401 / 429 otherwise)."""
    api = api_of(request)
    principal = api.principal(credentials.credentials if credentials else None)
    request.state.tenant = principal.tenant
    api.limiter.take(principal.key_id)
    return Caller(principal=principal, db=api.db.for_tenant(principal.tenant), api=api)


CallerDep = Annotated[Caller, Depends(caller)]


def used(request: Request, *, policy: PolicyManifest | None = None, artifacts: Any = ()) -> None:
    """Name the Policy Manifest and artifacts a response used (sent as response headers)."""
    if policy is not None:
        request.state.policy = (policy.version, policy.content_hash)
    hashes = [h for h in artifacts if h]
    if hashes:
        request.state.artifacts = hashes
