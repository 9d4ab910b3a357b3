"""When a stage may ask a model, and with what: the router and the call context of a run.

A stage gets a model only when a provider is configured in the environment (an API key of
OpenAI, Anthropic or Groq, or an Ollama base URL); otherwise the deterministic specialists decide
alone and hold what they cannot settle. The call context carries the run's actor, mode, PII
policy, provider lists, lane and the stage's remaining budget, so the Policy Engine and the
router apply the contract to every call; each call lands on the run's ledger.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from core.contract import RunContract, StageName

if TYPE_CHECKING:
    from specialists.mapping.propose import ModelAccess
    from supervisor.stages import StageContext

__all__ = ["model_access", "provider_configured"]

_PROVIDER_ENV = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GROQ_API_KEY", "OLLAMA_BASE_URL")


def provider_configured(env: Mapping[str, str]) -> bool:
    """Whether any model provider is configured in ``env``."""
    return any(env.get(name) for name in _PROVIDER_ENV)


def model_access(
    ctx: StageContext, run_id: str, contract: RunContract, stage: StageName
) -> ModelAccess | None:
    """The router and call context for ``stage`` of the run, or None when no provider is set."""
    if not provider_configured(ctx.env):
        return None
    from adapters.config import router_from_env
    from adapters.types import CallContext
    from ledger.store import PostgresLedger
    from specialists.mapping.propose import ModelAccess

    def record(event: Any) -> None:
        with ctx.db.begin() as conn:
            PostgresLedger(conn).append(event)

    router = router_from_env(
        ctx.env,
        manifest=ctx.manifest,
        pii_key=ctx.pii_key,
        redis_url=ctx.env.get("CONDUIT_REDIS_URL") or None,
        ledger=record,
    )
    budget = ctx.budget
    context = CallContext(
        run_id=run_id,
        stage=stage,
        lane=ctx.lane if ctx.lane in ("interactive", "flex", "batch") else "interactive",
        mode=contract.mode,
        actor_user_id=contract.rbac_actor.user_id,
        actor_role=contract.rbac_actor.role,
        mask_before_send=contract.pii_policy.mask_before_send,
        local_only_override=contract.pii_policy.local_only_override,
        provider_allowlist=tuple(contract.provider_allowlist),
        provider_denylist=tuple(contract.provider_denylist),
        catalog_version=contract.catalog_version or "0.0.0",
        budget_tokens=int(budget["tokens"]) if "tokens" in budget else None,
        budget_usd=Decimal(str(budget["usd"])) if "usd" in budget else None,
    )
    return ModelAccess(router=router, context=context, profile=contract.routing_profile)
