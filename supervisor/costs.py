"""The pre-send cost estimate (§17): what a prompt would cost on each model, before anything is
sent. Tokens are the router's own estimate (``adapters.params.token_estimate``, no tokenizer),
prices the model registry's; the estimate assumes the reply uses ``max_output_tokens``.

    >>> rows = estimate_cost([{"role": "user", "content": "x" * 350}], ["openai/gpt-4o-mini"])
    >>> rows["input_tokens"], rows["models"][0]["model"]
    (104, 'openai/gpt-4o-mini')
"""

from __future__ import annotations

from typing import Any

from core.errors import ContractError

__all__ = ["estimate_cost"]


def estimate_cost(
    messages: list[dict[str, Any]], models: list[str] | None = None, max_output_tokens: int = 512
) -> dict[str, Any]:
    """Input tokens and, per chat model (every one in the registry when ``models`` is empty),
    the USD of a call with a ``max_output_tokens`` reply; models the prompt does not fit in
    are marked ``fits: false``."""
    from pydantic import ValidationError

    from adapters.params import token_estimate
    from adapters.registry import bundled_registry
    from adapters.types import ChatMessage

    try:
        chat = [ChatMessage.model_validate(m) for m in messages]
    except ValidationError as e:
        first = e.errors()[0]
        raise ContractError(f"invalid message: {first['msg']}", field="messages") from None
    if not chat:
        raise ContractError("give at least one message", field="messages")
    registry = bundled_registry()
    specs = [registry.get(m) for m in models] if models else registry.models
    tokens = token_estimate(chat)
    rows = []
    for spec in specs:
        if spec.modality != "chat":
            continue
        output = min(max_output_tokens, spec.max_output_tokens)
        rows.append(
            {
                "model": spec.id,
                "provider": spec.provider,
                "local": spec.local,
                "output_tokens": output,
                "usd": str(spec.cost(tokens, output)),
                "fits": tokens + output <= spec.context_tokens,
            }
        )
    return {"input_tokens": tokens, "registry_version": registry.version, "models": rows}
