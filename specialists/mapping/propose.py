"""Model proposals (§12: "LLM-M proposes one or more Transform DSL pipelines"), for the target
columns the deterministic plan left in doubt.

When a provider is configured and the Policy Engine allows the call, the target columns the plan
held, sent back for a fix or left unmapped go to a model through the adapters (the only road to
a model: policy approval and masking first, then budget, cache, breakers and fallbacks). The
prompt holds the target columns, the source columns (Standard Schema name, header, type,
domain) and the masked Sample Pack as a table, which the Policy Engine masks again column by
column. The model answers with structured output (:class:`Proposals`).

Nothing the model says is trusted: a proposal must name a target in doubt and existing source
columns, its pipeline must read exactly those columns, write the target, end in the target's
type and pass the DSL validator with the Policy Manifest's limits (else it is rejected with its
DSL_REJECT message, recorded in the plan); in data_mode it is then executed on the sample like
any other candidate, and decided by the same rules. Its confidence is the model's, capped at
``MODEL_CONFIDENCE_CAP``: a model's word never outranks a measured sample.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from specialists.mapping.columns import SourceColumn, TargetSpec

if TYPE_CHECKING:
    from adapters.router import Router
    from adapters.types import CallContext
    from core.contract import RoutingProfile

__all__ = ["MODEL_CONFIDENCE_CAP", "ModelAccess", "ProposedMapping", "Proposals", "ask_model"]

MODEL_CONFIDENCE_CAP = 0.9
_SAMPLE_ROWS = 20  # rows of the masked sample a prompt shows


class ProposedMapping(BaseModel):
    model_config = ConfigDict(extra="ignore")

    target: str = Field(max_length=256)
    sources: list[str] = Field(default_factory=list, max_length=16)  # Standard Schema names
    pipeline: dict[str, Any] | None = None
    confidence: float = Field(default=0.0, ge=0.0, le=1.0)
    rationale: str = Field(default="", max_length=2000)


class Proposals(BaseModel):
    model_config = ConfigDict(extra="ignore")

    mappings: list[ProposedMapping] = Field(default_factory=list, max_length=500)


@dataclass(frozen=True)
class ModelAccess:
    """What the Mapping stage needs to ask a model: the router and who asks, under what."""

    router: Router
    context: CallContext
    profile: RoutingProfile = "quality_first"


_INSTRUCTIONS = """You map columns of a source table to a target table with the Transform DSL v1.
A pipeline is JSON: {"inputs": [source column names], "output": target column, "ops": [...]}.
Ops, applied in order (several inputs stay a tuple until concat or two-column safe_math):
trim {side}, case {to: upper|lower}, collapse_whitespace, regex_extract {pattern, group},
regex_split {pattern, index}, concat {separator, skip_nulls}, map_dict {mapping, default |
keep_unmapped}, unit_convert {from_unit, to_unit, scale}, date_parse {formats: ["%d/%m/%Y"], to:
date|timestamp}, date_format {format}, type_cast {to, number_format: {thousands, decimal,
currency, parentheses}}, safe_math {operator: add|sub|mul|div, operand | two columns, scale,
nulls: propagate|zero}. Inputs are text. The pipeline must end in the target column's type.
For each target column listed, answer with the source columns it is made of, in the order the
pipeline reads them, the pipeline, a confidence in [0, 1] and a one-line rationale; a target no
source feeds gets "sources": [] and "pipeline": null. Use only the column names given."""


def _prompt(targets: Sequence[TargetSpec], sources: Sequence[SourceColumn]) -> str:
    doc = {
        "target_columns": [
            {
                "name": t.name,
                "type": t.column.type,
                "key": t.column.key,
                "description": t.column.description,
            }
            for t in targets
        ],
        "source_columns": [
            {"name": s.name, "header": s.header, "type": s.type, "domain": s.domain}
            for s in sources
        ],
    }
    return json.dumps(doc, ensure_ascii=False, sort_keys=True)


def ask_model(
    access: ModelAccess, targets: Sequence[TargetSpec], sources: Sequence[SourceColumn]
) -> tuple[list[ProposedMapping], dict[str, Any]]:
    """The model's proposals for ``targets`` and a record of the call (provider, model, tokens,
    dollars, prompt hash); §31 errors of the call propagate to the caller."""
    from adapters.types import ChatMessage
    from policy.engine import TablePayload

    messages = [
        ChatMessage(role="system", content=_INSTRUCTIONS),
        ChatMessage(role="user", content=_prompt(targets, sources)),
    ]
    sample = {s.name: list(s.values[:_SAMPLE_ROWS]) for s in sources if s.values}
    tables = (
        [
            TablePayload(
                name="source_sample", columns=sample, domains={s.name: s.domain for s in sources}
            )
        ]
        if sample
        else []
    )
    result = access.router.infer(
        messages,
        context=access.context,
        schema=Proposals,
        profile=access.profile,
        tables=tables,
    )
    from pydantic import ValidationError

    from core.errors import DeterministicFailure

    try:
        parsed = Proposals.model_validate(result.parsed or {})
    except ValidationError as e:
        raise DeterministicFailure(
            f"the model's answer is not a list of proposals: {e.errors()[0]['msg']}",
            field="mappings",
        ) from None
    call = {
        "provider": result.provider,
        "model": result.model,
        "prompt_hash": result.prompt_hash,
        "input_tokens": result.usage.input_tokens,
        "output_tokens": result.usage.output_tokens,
        "usd": str(result.usd),
        "cached": result.cached,
        "pii_mask_applied": result.pii_mask_applied,
    }
    return parsed.mappings, call
