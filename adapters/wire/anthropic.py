"""The Anthropic Messages protocol (`/v1/messages`): system prompt apart, max_tokens required."""

from __future__ import annotations

import json
from typing import Any

from adapters.params import provider_temperature
from adapters.registry import ModelSpec
from adapters.types import ChatMessage, Params, Usage

__all__ = ["HEALTH_PATH", "chat", "embed", "headers", "parse_chat", "parse_embed"]

HEALTH_PATH = "/v1/models"
VERSION = "2023-06-01"


def headers(api_key: str) -> dict[str, str]:
    out = {"anthropic-version": VERSION}
    if api_key:
        out["x-api-key"] = api_key
    return out


def chat(
    spec: ModelSpec,
    messages: list[ChatMessage],
    params: Params,
    json_schema: dict[str, Any] | None,
) -> tuple[str, dict[str, Any]]:
    system = "\n\n".join(m.content for m in messages if m.role == "system")
    if json_schema is not None:
        system += "\n\nReply with one JSON object only, matching this JSON Schema:\n" + json.dumps(
            json_schema, sort_keys=True
        )
    body: dict[str, Any] = {
        "model": spec.model,
        "max_tokens": params.max_tokens,
        "messages": [m.model_dump() for m in messages if m.role != "system"],
        "temperature": provider_temperature(params.temperature, spec),
        "top_p": params.top_p,
    }
    if system.strip():
        body["system"] = system.strip()
    if params.stop:
        body["stop_sequences"] = list(params.stop)
    return "/v1/messages", body


def parse_chat(body: Any) -> tuple[str, Usage]:
    text = "".join(b.get("text", "") for b in body["content"] if b.get("type") == "text")
    usage = body.get("usage") or {}
    return text, Usage(
        input_tokens=int(usage.get("input_tokens", 0)),
        output_tokens=int(usage.get("output_tokens", 0)),
    )


def embed(spec: ModelSpec, texts: list[str]) -> tuple[str, dict[str, Any]]:
    from core.errors import DeterministicFailure

    raise DeterministicFailure(f"{spec.id}: Anthropic has no embeddings endpoint", field="model")


def parse_embed(body: Any) -> tuple[list[list[float]], Usage]:
    raise AssertionError("unreachable: Anthropic has no embeddings endpoint")
