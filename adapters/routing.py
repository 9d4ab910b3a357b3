"""Routing profiles: which models to try, in which order (§15).

- ``quality_first`` (default): best quality, then faster, then cheaper;
- ``cost_first``: cheapest per typical call (1k in, 250 out), then quality;
- ``latency_first``: fastest, then quality;
- ``offline_first``: local models first (quality order), then the rest by quality.

Models the contract or the policy deny are dropped here, so they are never even asked; under
``local_only_override`` only local models remain. ``models`` pins an explicit chain.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from adapters.registry import ModelSpec, Registry
from adapters.types import CallContext
from core.contract import RoutingProfile
from policy.manifest import PolicyManifest

__all__ = ["candidates"]


def _typical_cost(spec: ModelSpec) -> Decimal:
    return spec.cost(1000, 250)


_ORDER: dict[RoutingProfile, Callable[[ModelSpec], Any]] = {
    "quality_first": lambda s: (-s.quality, -s.latency, _typical_cost(s), s.id),
    "cost_first": lambda s: (_typical_cost(s), -s.quality, s.id),
    "latency_first": lambda s: (-s.latency, -s.quality, s.id),
    "offline_first": lambda s: (not s.local, -s.quality, s.id),
}


def _allowed(spec: ModelSpec, manifest: PolicyManifest, context: CallContext) -> bool:
    p = spec.provider
    for deny, allow in (
        (manifest.providers.denylist, manifest.providers.allowlist),
        (context.provider_denylist, context.provider_allowlist),
    ):
        if p in {d.lower() for d in deny} or (allow and p not in {a.lower() for a in allow}):
            return False
    return spec.local or not context.local_only_override


def candidates(
    registry: Registry,
    manifest: PolicyManifest,
    context: CallContext,
    profile: RoutingProfile,
    models: Sequence[str] | None,
    modality: str,
) -> list[ModelSpec]:
    """The chain of models to try for a call, best first.

    >>> from adapters.registry import bundled_registry
    >>> from policy.manifest import current_manifest
    >>> ctx = CallContext(stage="domains", mode="metadata_only", actor_user_id="a",
    ...                   actor_role="analyst", provider_denylist=("anthropic",))
    >>> [s.id for s in candidates(bundled_registry(), current_manifest(), ctx,
    ...                           "offline_first", None, "chat")][:2]
    ['ollama/llama3.1-8b', 'openai/gpt-4o']
    """
    pool = [registry.get(m) for m in models] if models else list(registry.models)
    pool = [s for s in pool if s.modality == modality and _allowed(s, manifest, context)]
    return pool if models else sorted(pool, key=_ORDER[profile])
