"""Services: the only road to a model. Provider adapters behind one interface (OpenAI, Anthropic,
Groq, Ollama), a model registry, routing profiles with fallbacks, circuit breakers, a cache and
budgets; every request is approved and masked by ``policy`` first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.lazy import lazy_exports

_EXPORTS = {
    "Router": "router",
    "BudgetExceeded": "router",
    "CallContext": "types",
    "ChatMessage": "types",
    "EmbedResult": "types",
    "InferResult": "types",
    "Params": "types",
    "Usage": "types",
    "ModelSpec": "registry",
    "Registry": "registry",
    "bundled_registry": "registry",
    "parse_registry": "registry",
    "BreakerBoard": "breaker",
    "BreakerConfig": "breaker",
    "MemoryCache": "cache",
    "RedisCache": "cache",
    "hashed_ngrams": "embed",
    "candidates": "routing",
    "DEFAULT_BASE_URLS": "config",
    "router_from_env": "config",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from adapters.breaker import BreakerBoard, BreakerConfig
    from adapters.cache import MemoryCache, RedisCache
    from adapters.config import DEFAULT_BASE_URLS, router_from_env
    from adapters.embed import hashed_ngrams
    from adapters.registry import ModelSpec, Registry, bundled_registry, parse_registry
    from adapters.router import BudgetExceeded, Router
    from adapters.routing import candidates
    from adapters.types import CallContext, ChatMessage, EmbedResult, InferResult, Params, Usage
