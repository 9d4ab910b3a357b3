"""The span of one request to a provider: ``model.call``, with its run, outcome, tokens and cost."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from adapters.errors import Failure
from adapters.registry import ModelSpec
from adapters.types import CallContext, Usage
from core.observability import set_error, span

if TYPE_CHECKING:
    from opentelemetry.trace import Span

__all__ = ["call_span", "end_call_span"]


def call_span(spec: ModelSpec, context: CallContext, attempt: int) -> AbstractContextManager[Span]:
    """Open the span of one request (each retry is its own), under the call's run."""
    return span(
        "model.call",
        provider=spec.provider,
        model=spec.id,
        lane=context.lane,
        stage=context.stage,
        run_id=context.run_id,
        attempt=attempt,
    )


def end_call_span(current: Span, spec: ModelSpec, answer: Any, usage: Usage | None) -> None:
    """Record the reply on the span: outcome ``ok`` or the §31 code, tokens and dollars."""
    if isinstance(answer, Failure):
        current.set_attribute("conduit.outcome", answer.code)
        set_error(current, f"{answer.code}: {answer.message}")
        return
    current.set_attribute("conduit.outcome", "ok")
    if usage is not None:
        usd = float(spec.cost(usage.input_tokens, usage.output_tokens))
        current.set_attribute("conduit.input_tokens", usage.input_tokens)
        current.set_attribute("conduit.output_tokens", usage.output_tokens)
        current.set_attribute("conduit.usd", usd)
