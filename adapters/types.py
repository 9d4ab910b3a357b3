"""What goes into a model call and what comes out, the same for every provider."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.contract import Lane, Mode, StageName

__all__ = ["CallContext", "ChatMessage", "EmbedResult", "InferResult", "Params", "Usage"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ChatMessage(_Frozen):
    role: Literal["system", "user", "assistant"]
    content: str = Field(max_length=2_000_000)


class Params(_Frozen):
    """Sampling parameters in one range for every provider (``adapters.params`` maps them)."""

    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    top_p: float = Field(default=1.0, gt=0.0, le=1.0)
    max_tokens: int = Field(default=1024, gt=0, le=200_000)
    stop: tuple[str, ...] = Field(default=(), max_length=4)


class CallContext(_Frozen):
    """Who asks and under which contract: the policy, cache-key and budget inputs of a call."""

    run_id: str | None = None
    stage: StageName
    lane: Lane = "interactive"
    mode: Mode
    actor_user_id: str
    actor_role: Literal["viewer", "analyst", "operator", "maintainer", "admin"]
    mask_before_send: bool = True
    local_only_override: bool = False
    provider_allowlist: tuple[str, ...] = ()
    provider_denylist: tuple[str, ...] = ()
    catalog_version: str = "0.0.0"
    #: Hashes of the artifacts the prompt was built from (catalog, mappings, thresholds, ...).
    artifact_hashes: tuple[str, ...] = ()
    scope: str = "run"  # the §28 cache scope: run, tab or filter set
    locale: str = "en"
    #: The stage's remaining budget; None means unlimited (tests, evals without a run).
    budget_tokens: int | None = Field(default=None, ge=0)
    budget_usd: Decimal | None = Field(default=None, ge=0)
    fresh: bool = False  # §36: bypass the cache


class Usage(_Frozen):
    input_tokens: int = Field(ge=0)
    output_tokens: int = Field(ge=0)


class InferResult(_Frozen):
    text: str
    parsed: dict[str, Any] | None = None  # the structured output, validated against the schema
    usage: Usage
    usd: Decimal
    provider: str
    model: str  # registry id
    latency_ms: float
    cached: bool = False
    retries: int = 0
    fallback_chain: tuple[str, ...] = ()
    pii_mask_applied: bool = False
    prompt_hash: str = ""


class EmbedResult(_Frozen):
    vectors: list[list[float]]
    provider: str
    model: str
    usage: Usage
    usd: Decimal
    latency_ms: float
