"""The OpenAI chat-completions and embeddings protocol (also Groq's, which is compatible)."""

from __future__ import annotations

from typing import Any

from adapters.params import provider_temperature
from adapters.registry import ModelSpec
from adapters.types import ChatMessage, Params, Usage

__all__ = ["HEALTH_PATH", "chat", "embed", "headers", "parse_chat", "parse_embed"]

HEALTH_PATH = "/models"


def headers(api_key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {api_key}"} if api_key else {}


def chat(
    spec: ModelSpec,
    messages: list[ChatMessage],
    params: Params,
    json_schema: dict[str, Any] | None,
) -> tuple[str, dict[str, Any]]:
    body: dict[str, Any] = {
        "model": spec.model,
        "messages": [m.model_dump() for m in messages],
        "temperature": provider_temperature(params.temperature, spec),
        "top_p": params.top_p,
        "max_tokens": params.max_tokens,
    }
    if params.stop:
        body["stop"] = list(params.stop)
    if json_schema is not None:
        body["response_format"] = {"type": "json_object"}
    return "/chat/completions", body


def parse_chat(body: Any) -> tuple[str, Usage]:
    choice = body["choices"][0]["message"]
    usage = body.get("usage") or {}
    return str(choice.get("content") or ""), Usage(
        input_tokens=int(usage.get("prompt_tokens", 0)),
        output_tokens=int(usage.get("completion_tokens", 0)),
    )


def embed(spec: ModelSpec, texts: list[str]) -> tuple[str, dict[str, Any]]:
    return "/embeddings", {"model": spec.model, "input": texts}


def parse_embed(body: Any) -> tuple[list[list[float]], Usage]:
    data = sorted(body["data"], key=lambda d: d["index"])
    usage = body.get("usage") or {}
    vectors = [[float(x) for x in d["embedding"]] for d in data]
    return vectors, Usage(input_tokens=int(usage.get("prompt_tokens", 0)), output_tokens=0)
