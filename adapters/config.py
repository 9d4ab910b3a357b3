"""Building a router from the environment, at the edge (CLI, API, worker start).

Provider endpoints and keys use the providers' own variable names, so an existing setup works:
``OPENAI_BASE_URL``, ``ANTHROPIC_BASE_URL``, ``GROQ_BASE_URL``, ``OLLAMA_BASE_URL`` (defaults:
the providers' public endpoints, Ollama on 127.0.0.1) and ``OPENAI_API_KEY``,
``ANTHROPIC_API_KEY``, ``GROQ_API_KEY``. An endpoint is still reached only when the Policy
Manifest's egress allow-list names its origin.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from adapters.cache import Cache, MemoryCache, RedisCache
from adapters.registry import Registry, bundled_registry
from adapters.router import Router
from ledger.events import LedgerEvent
from policy.manifest import PolicyManifest

__all__ = ["DEFAULT_BASE_URLS", "router_from_env"]

DEFAULT_BASE_URLS = {
    "openai": "https://api.openai.com/v1",
    "anthropic": "https://api.anthropic.com",
    "groq": "https://api.groq.com/openai/v1",
    "ollama": "http://127.0.0.1:11434",
}


def router_from_env(
    env: Mapping[str, str],
    *,
    manifest: PolicyManifest,
    pii_key: bytes,
    redis_url: str | None = None,
    registry: Registry | None = None,
    ledger: Callable[[LedgerEvent], object] | None = None,
) -> Router:
    """A router configured from ``env`` (pass ``os.environ`` at the edge)."""
    base_urls = {
        p: env.get(f"{p.upper()}_BASE_URL") or default for p, default in DEFAULT_BASE_URLS.items()
    }
    keys = {p: env[f"{p.upper()}_API_KEY"] for p in base_urls if env.get(f"{p.upper()}_API_KEY")}
    cache: Cache = RedisCache(redis_url) if redis_url else MemoryCache()
    return Router(
        manifest=manifest,
        registry=registry or bundled_registry(),
        base_urls=base_urls,
        api_keys=keys,
        pii_key=pii_key,
        cache=cache,
        ledger=ledger,
    )
