"""Egress: the origin (``scheme://host[:port]``) a request goes to, as the allow-list writes it."""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["origin"]


def origin(url: str) -> str | None:
    """``scheme://host[:port]`` of a URL, lower-case, default ports dropped; None if not a URL.

    >>> origin("HTTPS://API.OpenAI.com:443/v1/chat")
    'https://api.openai.com'
    >>> origin("http://127.0.0.1:11434/api/chat")
    'http://127.0.0.1:11434'
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}[parts.scheme]
    return f"{parts.scheme}://{host}" + ("" if port in (None, default) else f":{port}")
