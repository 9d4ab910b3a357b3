"""The Ollama protocol (``/api/chat`` without streaming, ``/api/embed``)."""

from __future__ import annotations

from typing import Any

from adapters.params import provider_temperature
from adapters.registry import ModelSpec
from adapters.types import ChatMessage, Params, Usage
from adapters.wire.openai import headers  # a bearer token, when a proxy in front asks one

__all__ = ["HEALTH_PATH", "chat", "embed", "headers", "parse_chat", "parse_embed"]

HEALTH_PATH = "/api/tags"


def chat(
    spec: ModelSpec,
    messages: list[ChatMessage],
    params: Params,
    json_schema: dict[str, Any] | None,
) -> tuple[str, dict[str, Any]]:
    options: dict[str, Any] = {
        "temperature": provider_temperature(params.temperature, spec),
        "top_p": params.top_p,
        "num_predict": params.max_tokens,
        "num_ctx": spec.context_tokens,
    }
    if params.stop:
        options["stop"] = list(params.stop)
    body: dict[str, Any] = {
        "model": spec.model,
        "messages": [m.model_dump() for m in messages],
        "stream": False,
        "options": options,
    }
    if json_schema is not None:
        body["format"] = json_schema
    return "/api/chat", body


def parse_chat(body: Any) -> tuple[str, Usage]:
    return str(body["message"].get("content") or ""), Usage(
        input_tokens=int(body.get("prompt_eval_count", 0)),
        output_tokens=int(body.get("eval_count", 0)),
    )


def embed(spec: ModelSpec, texts: list[str]) -> tuple[str, dict[str, Any]]:
    return "/api/embed", {"model": spec.model, "input": texts}


def parse_embed(body: Any) -> tuple[list[list[float]], Usage]:
    vectors = [[float(x) for x in v] for v in body["embeddings"]]
    return vectors, Usage(input_tokens=int(body.get("prompt_eval_count", 0)), output_tokens=0)
