"""The Supervisor Ledger event (§30), exactly its fields, and the hash that chains events.

A caller builds a :class:`LedgerEvent`; the ledger assigns its place in the run (``seq``), links it
to the previous event (``prev_hash``) and seals it (``event_hash``), giving a :class:`StoredEvent`.
``event_hash`` is SHA-256 over the canonical JSON of every §30 field plus ``seq`` and ``prev_hash``,
so editing any stored field, or removing or reordering events, breaks the chain.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from core.canonical import content_hash
from core.errors import ErrorCode
from core.ids import ulid

__all__ = [
    "Stage",
    "Decision",
    "HumanConfirmation",
    "LedgerEvent",
    "StoredEvent",
    "EVENT_FIELDS",
    "GENESIS_HASH",
    "seal",
]

Stage = Literal["INGEST", "DOMAINS", "MAPPING", "ANALYSIS", "MIGRATION", "SUPERVISOR"]
Decision = Literal["accept", "hold", "fix", "reject", "retry", "escalate"]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]

#: ``prev_hash`` of a run's first event.
GENESIS_HASH = "0" * 64
_USD_QUANTUM = Decimal("0.000001")  # numeric(20, 6) in the table


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class HumanConfirmation(BaseModel):
    """``{required, actor, timestamp}``: whether a person had to confirm, who did, and when."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    required: bool = False
    actor: str | None = None
    timestamp: dt.datetime | None = None

    @field_validator("timestamp")
    @classmethod
    def _aware(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("human_confirmation.timestamp must carry a time zone")
        return None if value is None else value.astimezone(dt.UTC)


class LedgerEvent(BaseModel):
    """One supervisor decision, with exactly the fields of §30."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: str = Field(default_factory=ulid)
    run_id: str
    timestamp_utc: dt.datetime = Field(default_factory=_now)
    stage: Stage
    decision: Decision
    inputs_hash: Sha256 | None = None
    outputs_hash: Sha256 | None = None
    provider: str | None = None
    model: str | None = None
    params_hash: Sha256 | None = None
    token_estimate: int | None = Field(default=None, ge=0)
    token_actual: int | None = Field(default=None, ge=0)
    usd_estimate: Decimal | None = Field(default=None, ge=0, lt=10**14, allow_inf_nan=False)
    usd_actual: Decimal | None = Field(default=None, ge=0, lt=10**14, allow_inf_nan=False)
    retries: int = Field(default=0, ge=0)
    fallback_chain: tuple[str, ...] = ()
    pii_mask_applied: bool = False
    local_only_override: bool = False
    policy_version: str | None = None
    threshold_profile_id: str | None = None
    dsl_version: str | None = None
    error_code: ErrorCode | None = None
    error_detail_id: str | None = None
    human_confirmation: HumanConfirmation = Field(default_factory=HumanConfirmation)

    @field_validator("timestamp_utc")
    @classmethod
    def _utc(cls, value: dt.datetime) -> dt.datetime:
        if value.tzinfo is None:
            raise ValueError("timestamp_utc must carry a time zone")
        return value.astimezone(dt.UTC)

    @field_validator("usd_estimate", "usd_actual")
    @classmethod
    def _usd_scale(cls, value: Decimal | None) -> Decimal | None:
        # Stored as numeric(20, 6): quantize first so the value hashes the same when read back.
        return None if value is None else value.quantize(_USD_QUANTUM, rounding=ROUND_HALF_UP)


#: The §30 field names, in the spec's order.
EVENT_FIELDS: tuple[str, ...] = tuple(LedgerEvent.model_fields)


class StoredEvent(LedgerEvent):
    """An event as the ledger holds it: its place in the run's chain and its seal."""

    seq: int = Field(ge=1)
    prev_hash: Sha256
    event_hash: Sha256


def seal(event: LedgerEvent, *, seq: int, prev_hash: str) -> str:
    """The ``event_hash`` of ``event`` stored at ``seq`` after an event hashed ``prev_hash``."""
    material: dict[str, Any] = {name: getattr(event, name) for name in EVENT_FIELDS}
    material["seq"] = seq
    material["prev_hash"] = prev_hash
    return content_hash(material)
