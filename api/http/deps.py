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
    _hashes: dict[int, tuple[PolicyManifest, str]] = field(default_factory=dict)
    _manifests: dict[str, PolicyManifest] = field(default_factory=dict)

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
        """The newest stored Policy Manifest (cached for a few seconds); the bundled ones are
        stored first, so a fresh store has one."""
        from supervisor.policies import manifest_version

        now = time.monotonic()
        if self._manifest is not None and self._manifest[0] > now:
            return self._manifest[1]
        manifest = manifest_version(self.db, None)
        self._manifest = (now + 5.0, manifest)
        return manifest

    def manifest_hash(self, manifest: PolicyManifest) -> str:
        """``manifest.content_hash``, computed once per manifest object (canonical JSON of the
        whole manifest costs ~0.3 ms, and every response naming its manifest needs it)."""
        hit = self._hashes.get(id(manifest))
        if hit is not None and hit[0] is manifest:
            return hit[1]
        found = manifest.content_hash
        with self._lock:
            if len(self._hashes) > 64:
                self._hashes.clear()
            self._hashes[id(manifest)] = (manifest, found)  # holds it: its id is not reused
        return found

    def manifest(self, version: str) -> PolicyManifest:
        """A stored Policy Manifest by version (immutable, so cached for good)."""
        from supervisor.policies import stored_manifest

        found = self._manifests.get(version)
        if found is None:
            with self.db.connect() as conn:
                found = self._manifests[version] = stored_manifest(conn, version)
        return found

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
    used(request, policy=api.newest_manifest())  # a handler that pins another one says so
    return Caller(principal=principal, db=api.db.for_tenant(principal.tenant), api=api)


CallerDep = Annotated[Caller, Depends(caller)]


def used(request: Request, *, policy: PolicyManifest | None = None, artifacts: Any = ()) -> None:
    """Name the Policy Manifest and artifacts a response used (sent as response headers)."""
    if policy is not None:
        request.state.policy = (policy.version, api_of(request).manifest_hash(policy))
    hashes = [h for h in artifacts if h]
    if hashes:
        request.state.artifacts = hashes
