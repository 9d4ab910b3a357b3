"""Wire translation per provider: our request -> the provider's JSON, its JSON -> our result.

Each module is pure (no I/O): ``chat(spec, messages, params, json_schema)`` returns the path and
body to POST, ``parse_chat(body)`` the text and usage; likewise for embeddings. Groq speaks the
OpenAI protocol under its own base URL.
"""

from __future__ import annotations

from types import ModuleType

__all__ = ["wire_for"]


def wire_for(provider: str) -> ModuleType:
    """The wire module of ``provider``."""
    from adapters.wire import anthropic, ollama, openai

    return {"openai": openai, "groq": openai, "anthropic": anthropic, "ollama": ollama}[provider]
