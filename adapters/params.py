"""Parameter normalisation: one range in, each provider's range out; token estimates.

Temperature is asked in [0, 2] (OpenAI's range) and scaled to the model's maximum (Anthropic's is
1); ``max_tokens`` is cut to what the model can still produce after the prompt.
"""

from __future__ import annotations

from adapters.registry import ModelSpec
from adapters.types import ChatMessage, Params

__all__ = ["fit_to_context", "provider_temperature", "token_estimate"]

_CHARS_PER_TOKEN = 3.5  # conservative for English and JSON; over-estimates rather than under


def provider_temperature(temperature: float, spec: ModelSpec) -> float:
    """``temperature`` in [0, 2], scaled to ``[0, spec.temperature_max]``."""
    return round(temperature * spec.temperature_max / 2.0, 4)


def token_estimate(messages: list[ChatMessage]) -> int:
    """Tokens a prompt will take, estimated without a tokenizer (none loads offline).

    >>> token_estimate([ChatMessage(role="user", content="x" * 350)])
    104
    """
    chars = sum(len(m.content) for m in messages)
    return int(chars / _CHARS_PER_TOKEN) + 4 * len(messages)


def fit_to_context(params: Params, spec: ModelSpec, prompt_tokens: int) -> Params | None:
    """``params`` with ``max_tokens`` cut to the room the model has left; None when the prompt
    alone does not fit (the router then tries a larger-context model)."""
    room = min(spec.context_tokens - prompt_tokens, spec.max_output_tokens)
    if room < 16:
        return None
    return params.model_copy(update={"max_tokens": min(params.max_tokens, room)})
