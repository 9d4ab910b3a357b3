"""A local HTTP server that speaks four model providers' wire protocols, for tests.

``FakeProviders`` answers OpenAI, Groq, Anthropic and Ollama requests on one port of 127.0.0.1,
each under its own base URL, the way the real services do: the same paths, the same success
bodies, the same error statuses, bodies and headers. What it answers is scripted per provider
with ``Reply`` and ``Fault`` actions, consumed in order; once a provider's script is empty every
call gets ``Reply()``. Every request is recorded (before it is acted on) and can be read back.

Details a test may rely on:

* A script is consumed by every request that reaches a known endpoint of the provider, health
  checks included. Requests the real provider would refuse before doing any work are answered
  with its 400 and consume nothing: a body that is not a JSON object, a missing required field
  (``model``, ``messages``, ``input``; Anthropic also ``max_tokens`` and the
  ``anthropic-version`` header), and ``stream: true`` for OpenAI, Groq and Anthropic (the fake
  does not stream those). Unknown paths get the provider's 404.
* Ollama streams NDJSON when ``stream`` is not ``false``, as the real server does by default.
* ``Recorded.headers`` has lower-case names. ``Recorded.path`` is the request target as sent
  (query string included); ``Recorded.provider`` is ``"unknown"`` outside the four base URLs.
* A ``Fault`` with ``retry_after`` set carries a ``Retry-After`` header whatever its kind.
  ``delay_s`` delays any action; ``stop()`` cuts delays short.
* OpenAI embeddings honour ``encoding_format: "base64"`` (little-endian float32), as the
  official client requests by default. Vectors come from ``embedding_for``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import socket
import socketserver
import struct
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal, cast, get_args
from urllib.parse import urlsplit

__all__ = [
    "FAULT_KINDS",
    "PROVIDERS",
    "Action",
    "Fault",
    "FaultKind",
    "FakeProviders",
    "Provider",
    "Recorded",
    "Reply",
    "embedding_for",
]

Provider = Literal["openai", "groq", "anthropic", "ollama"]
PROVIDERS: tuple[Provider, ...] = get_args(Provider)

FaultKind = Literal[
    "rate_limit",
    "quota",
    "server_error",
    "overloaded",
    "slow",
    "context_length",
    "malformed",
    "reset",
    "bad_request",
    "auth",
]
FAULT_KINDS: tuple[FaultKind, ...] = get_args(FaultKind)

EMBEDDING_DIM = 8
OLLAMA_CREATED_AT = "2026-11-22T10:00:00Z"

_BASE_PATH: dict[Provider, str] = {
    "openai": "/openai/v1",
    "groq": "/groq/openai/v1",
    "anthropic": "/anthropic",
    "ollama": "/ollama",
}
_ENV_NAME: dict[Provider, str] = {
    "openai": "OPENAI_BASE_URL",
    "groq": "GROQ_BASE_URL",
    "anthropic": "ANTHROPIC_BASE_URL",
    "ollama": "OLLAMA_BASE_URL",
}
_DEFAULT_MODEL: dict[Provider, str] = {
    "openai": "gpt-4o-mini",
    "groq": "llama-3.1-8b-instant",
    "anthropic": "claude-3-5-haiku-20241022",
    "ollama": "llama3.1:8b",
}

Endpoint = Literal["chat", "embed", "health"]
_OPENAI_ROUTES: dict[tuple[str, str], Endpoint] = {
    ("POST", "/chat/completions"): "chat",
    ("POST", "/embeddings"): "embed",
    ("GET", "/models"): "health",
}
_ROUTES: dict[Provider, dict[tuple[str, str], Endpoint]] = {
    "openai": _OPENAI_ROUTES,
    "groq": _OPENAI_ROUTES,
    "anthropic": {("POST", "/v1/messages"): "chat", ("GET", "/v1/models"): "health"},
    "ollama": {
        ("POST", "/api/chat"): "chat",
        ("POST", "/api/embed"): "embed",
        ("GET", "/api/tags"): "health",
    },
}
_REQUIRED: dict[tuple[Provider, Endpoint], tuple[str, ...]] = {
    ("openai", "chat"): ("model", "messages"),
    ("openai", "embed"): ("model", "input"),
    ("groq", "chat"): ("model", "messages"),
    ("groq", "embed"): ("model", "input"),
    ("anthropic", "chat"): ("model", "max_tokens", "messages"),
    ("ollama", "chat"): ("model",),
    ("ollama", "embed"): ("model",),
}


# --- actions and records ------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """A success in the provider's format (embeddings on an embeddings path)."""

    text: str = "ok"
    input_tokens: int = 12
    output_tokens: int = 5
    delay_s: float = 0.0

    def __post_init__(self) -> None:
        if self.input_tokens < 0 or self.output_tokens < 0 or self.delay_s < 0:
            raise ValueError("Reply: token counts and delay_s must not be negative")


@dataclass(frozen=True)
class Fault:
    """A failure the way the provider reports it (see the module docstring for the kinds)."""

    kind: str  # one of FAULT_KINDS
    retry_after: float | None = None
    delay_s: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"Fault: unknown kind {self.kind!r}; one of {', '.join(FAULT_KINDS)}")
        if self.delay_s < 0 or (self.retry_after is not None and self.retry_after < 0):
            raise ValueError("Fault: delay_s and retry_after must not be negative")
        if self.kind == "slow" and self.delay_s <= 0:
            raise ValueError("Fault('slow') needs delay_s > 0")


Action = Reply | Fault


@dataclass(frozen=True)
class Recorded:
    """One request as the server received it."""

    provider: str
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    raw: bytes
    at: float


def embedding_for(item: str) -> list[float]:
    """The deterministic unit vector (dimension 8) the fake returns for one input."""
    digest = hashlib.sha256(item.encode("utf-8")).digest()
    values = [
        int.from_bytes(digest[4 * i : 4 * i + 4], "big") / 0xFFFFFFFF * 2 - 1
        for i in range(EMBEDDING_DIM)
    ]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [round(v / norm, 6) for v in values]


# --- responses ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    chunks: tuple[bytes, ...] | None = None  # sent with Transfer-Encoding: chunked


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode("utf-8")


def _request_id_headers(provider: Provider) -> tuple[tuple[str, str], ...]:
    if provider == "anthropic":
        return (("request-id", f"req_{uuid.uuid4().hex[:24]}"),)
    if provider == "ollama":
        return ()
    return (("x-request-id", f"req_{uuid.uuid4().hex}"),)


def _json(
    provider: Provider, status: int, value: Any, extra: tuple[tuple[str, str], ...] = ()
) -> _Response:
    content_type = "application/json; charset=utf-8" if provider == "ollama" else "application/json"
    return _Response(status, _dumps(value), content_type, _request_id_headers(provider) + extra)


def _error(
    provider: Provider,
    status: int,
    message: str,
    *,
    type_: str = "invalid_request_error",
    code: str | None = None,
    param: str | None = None,
    extra: tuple[tuple[str, str], ...] = (),
) -> _Response:
    """An error body in the provider's own shape."""
    if provider == "anthropic":
        value: Any = {"type": "error", "error": {"type": type_, "message": message}}
    elif provider == "ollama":
        value = {"error": message}
    else:
        value = {"error": {"message": message, "type": type_, "param": param, "code": code}}
    return _json(provider, status, value, extra)


# (status, type, message, code, param); ``{model}`` is the requested model.
_FaultSpec = tuple[int, str, str, str | None, str | None]
_OPENAI_QUOTA = (
    "You exceeded your current quota, please check your plan and billing details. For more "
    "information on this error, read the docs: "
    "https://platform.openai.com/docs/guides/error-codes/api-errors."
)
_FAULTS: dict[Provider, dict[str, _FaultSpec]] = {
    "openai": {
        "rate_limit": (
            429,
            "requests",
            "Rate limit reached for {model} in organization org-fake on requests per min (RPM): "
            "Limit 3, Used 3, Requested 1. Please try again in 20s. Visit "
            "https://platform.openai.com/account/rate-limits to learn more.",
            "rate_limit_exceeded",
            None,
        ),
        "quota": (429, "insufficient_quota", _OPENAI_QUOTA, "insufficient_quota", None),
        "server_error": (
            500,
            "server_error",
            "The server had an error while processing your request. Sorry about that!",
            None,
            None,
        ),
        "overloaded": (
            503,
            "server_error",
            "The engine is currently overloaded, please try again later.",
            None,
            None,
        ),
        "context_length": (
            400,
            "invalid_request_error",
            "This model's maximum context length is 8192 tokens. However, your messages resulted "
            "in 9000 tokens. Please reduce the length of the messages.",
            "context_length_exceeded",
            "messages",
        ),
        "bad_request": (
            400,
            "invalid_request_error",
            "Invalid value for 'temperature': expected a number between 0 and 2.",
            None,
            "temperature",
        ),
        "auth": (
            401,
            "invalid_request_error",
            "Incorrect API key provided: sk-fake****1234. You can find your API key at "
            "https://platform.openai.com/account/api-keys.",
            "invalid_api_key",
            None,
        ),
    },
    "groq": {
        "rate_limit": (
            429,
            "tokens",
            "Rate limit reached for model `{model}` in organization `org_fake` service tier "
            "`on_demand` on tokens per minute (TPM): Limit 6000, Used 5990, Requested 120. "
            "Please try again in 1.1s. Visit https://console.groq.com/docs/rate-limits for more "
            "information.",
            "rate_limit_exceeded",
            None,
        ),
        "quota": (429, "insufficient_quota", _OPENAI_QUOTA, "insufficient_quota", None),
        "server_error": (500, "internal_server_error", "Internal Server Error", None, None),
        "overloaded": (
            503,
            "internal_server_error",
            "The engine is currently overloaded, please try again later.",
            None,
            None,
        ),
        "context_length": (
            400,
            "invalid_request_error",
            "Please reduce the length of the messages or completion.",
            "context_length_exceeded",
            "messages",
        ),
        "bad_request": (
            400,
            "invalid_request_error",
            "'temperature' : value must be at most 2",
            None,
            None,
        ),
        "auth": (401, "invalid_request_error", "Invalid API Key", "invalid_api_key", None),
    },
    "anthropic": {
        "rate_limit": (
            429,
            "rate_limit_error",
            "Number of request tokens has exceeded your per-minute rate limit "
            "(https://docs.anthropic.com/en/api/rate-limits); see the response headers for "
            "current usage. Please reduce the prompt length or the maximum tokens requested, "
            "or try again later.",
            None,
            None,
        ),
        "quota": (
            400,
            "invalid_request_error",
            "Your credit balance is too low to access the Anthropic API. Please go to Plans & "
            "Billing to upgrade or purchase credits.",
            None,
            None,
        ),
        "server_error": (500, "api_error", "Internal server error", None, None),
        "overloaded": (529, "overloaded_error", "Overloaded", None, None),
        "context_length": (
            400,
            "invalid_request_error",
            "prompt is too long: 210000 tokens > 200000 maximum",
            None,
            None,
        ),
        "bad_request": (
            400,
            "invalid_request_error",
            "messages: at least one message is required",
            None,
            None,
        ),
        "auth": (401, "authentication_error", "invalid x-api-key", None, None),
    },
    "ollama": {
        "rate_limit": (429, "", "too many requests", None, None),
        "quota": (429, "", "quota exceeded", None, None),
        "server_error": (500, "", "llama runner process has terminated", None, None),
        "overloaded": (
            503,
            "",
            "server busy, please try again. maximum pending requests exceeded",
            None,
            None,
        ),
        "context_length": (400, "", "input length exceeds the context length", None, None),
        "bad_request": (400, "", "invalid request", None, None),
        "auth": (401, "", "unauthorized", None, None),
    },
}


def _fault_response(provider: Provider, fault: Fault, model: str) -> _Response:
    status, type_, message, code, param = _FAULTS[provider][fault.kind]
    extra: tuple[tuple[str, str], ...] = ()
    if fault.retry_after is not None:
        seconds = fault.retry_after
        value = str(int(seconds)) if float(seconds).is_integer() else f"{seconds:g}"
        extra = (("retry-after" if provider == "anthropic" else "Retry-After", value),)
    text = message.replace("{model}", model)
    return _error(provider, status, text, type_=type_, code=code, param=param, extra=extra)


def _embedding_inputs(value: Any) -> list[str]:
    """One hashable string per input: text, or a token array as JSON."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        if value and all(isinstance(x, int) for x in value):
            return [json.dumps(value)]
        return [x if isinstance(x, str) else json.dumps(x) for x in value]
    return [json.dumps(value)]


def _openai_success(
    provider: Provider, endpoint: Endpoint, reply: Reply, body: dict[str, Any], model: str
) -> _Response:
    if endpoint == "health":
        owner = "openai" if provider == "openai" else "Meta"
        entry = {"id": model, "object": "model", "created": 1721172741, "owned_by": owner}
        return _json(provider, 200, {"object": "list", "data": [entry]})
    if endpoint == "embed":
        base64_wanted = body.get("encoding_format") == "base64"
        data = []
        for index, item in enumerate(_embedding_inputs(body.get("input"))):
            vector = embedding_for(item)
            encoded: Any = vector
            if base64_wanted:
                packed = struct.pack(f"<{len(vector)}f", *vector)
                encoded = base64.b64encode(packed).decode("ascii")
            data.append({"object": "embedding", "index": index, "embedding": encoded})
        usage = {"prompt_tokens": reply.input_tokens, "total_tokens": reply.input_tokens}
        return _json(
            provider, 200, {"object": "list", "data": data, "model": model, "usage": usage}
        )
    return _json(
        provider,
        200,
        {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": reply.text},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": reply.input_tokens,
                "completion_tokens": reply.output_tokens,
                "total_tokens": reply.input_tokens + reply.output_tokens,
            },
        },
    )


def _anthropic_success(endpoint: Endpoint, reply: Reply, model: str) -> _Response:
    if endpoint == "health":
        entry = {
            "type": "model",
            "id": model,
            "display_name": model,
            "created_at": "2024-10-22T00:00:00Z",
        }
        listing = {"data": [entry], "has_more": False, "first_id": model, "last_id": model}
        return _json("anthropic", 200, listing)
    return _json(
        "anthropic",
        200,
        {
            "id": f"msg_{uuid.uuid4().hex[:24]}",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": reply.text}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": reply.input_tokens, "output_tokens": reply.output_tokens},
        },
    )


def _ollama_success(
    endpoint: Endpoint, reply: Reply, body: dict[str, Any], model: str
) -> _Response:
    load_ns, prompt_ns, eval_ns = 1_000_000, 10_000_000, 20_000_000
    total_ns = load_ns + prompt_ns + eval_ns + int(reply.delay_s * 1e9)
    if endpoint == "health":
        return _json("ollama", 200, {"models": [{"name": model, "model": model}]})
    if endpoint == "embed":
        vectors = [embedding_for(item) for item in _embedding_inputs(body.get("input", ""))]
        return _json(
            "ollama",
            200,
            {
                "model": model,
                "embeddings": vectors,
                "total_duration": total_ns,
                "load_duration": load_ns,
                "prompt_eval_count": reply.input_tokens,
            },
        )
    final = {
        "model": model,
        "created_at": OLLAMA_CREATED_AT,
        "message": {"role": "assistant", "content": reply.text},
        "done": True,
        "done_reason": "stop",
        "total_duration": total_ns,
        "load_duration": load_ns,
        "prompt_eval_count": reply.input_tokens,
        "prompt_eval_duration": prompt_ns,
        "eval_count": reply.output_tokens,
        "eval_duration": eval_ns,
    }
    if body.get("stream", True) is False:
        return _json("ollama", 200, final)
    pieces = [
        {
            "model": model,
            "created_at": OLLAMA_CREATED_AT,
            "message": {"role": "assistant", "content": piece},
            "done": False,
        }
        for piece in _split_keeping_spaces(reply.text)
    ]
    pieces.append({**final, "message": {"role": "assistant", "content": ""}})
    chunks = tuple(_dumps(p) + b"\n" for p in pieces)
    return _Response(200, content_type="application/x-ndjson", chunks=chunks)


def _split_keeping_spaces(text: str) -> list[str]:
    """``"a b c"`` -> ``["a", " b", " c"]``, the way a token stream arrives."""
    words = text.split(" ")
    return [words[0], *(" " + w for w in words[1:])] if text else []


def _success(
    provider: Provider, endpoint: Endpoint, reply: Reply, body: dict[str, Any]
) -> _Response:
    model = body.get("model")
    model = model if isinstance(model, str) and model else _DEFAULT_MODEL[provider]
    if provider == "anthropic":
        return _anthropic_success(endpoint, reply, model)
    if provider == "ollama":
        return _ollama_success(endpoint, reply, body, model)
    return _openai_success(provider, endpoint, reply, body, model)


def _not_found(provider: Provider, method: str, path: str) -> _Response:
    if provider == "anthropic":
        return _error(provider, 404, "Not found", type_="not_found_error")
    if provider == "ollama":
        return _Response(404, b"404 page not found", "text/plain")
    return _error(provider, 404, f"Invalid URL ({method} {path})")


def _refusal(
    provider: Provider, endpoint: Endpoint, body: Any, headers: dict[str, str]
) -> _Response | None:
    """The 400 the real provider sends before doing any work, or None if the request is fine."""
    if endpoint == "health":
        if provider == "anthropic" and "anthropic-version" not in headers:
            return _error(provider, 400, "anthropic-version: header is required")
        return None
    if not isinstance(body, dict):
        return _error(provider, 400, _UNPARSABLE[provider])
    if provider == "anthropic" and "anthropic-version" not in headers:
        return _error(provider, 400, "anthropic-version: header is required")
    for name in _REQUIRED[(provider, endpoint)]:
        if name not in body:
            if provider == "anthropic":
                return _error(provider, 400, f"{name}: Field required")
            if provider == "ollama":
                return _error(provider, 400, f"{name} is required")
            message = f"Missing required parameter: '{name}'."
            return _error(provider, 400, message, code="missing_required_parameter", param=name)
    if provider != "ollama" and body.get("stream") is True:
        message = "stream=true is not supported by the fake provider; send stream=false"
        return _error(provider, 400, message, param="stream")
    return None


_UNPARSABLE: dict[Provider, str] = {
    "openai": "We could not parse the JSON body of your request. (HINT: This likely means you "
    "aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what "
    "was sent was not valid JSON.)",
    "groq": "We could not parse the JSON body of your request.",
    "anthropic": "There was an error parsing the body of your request.",
    "ollama": "invalid character in request body",
}


def _match(path: str) -> tuple[Provider | None, str]:
    for provider, base in _BASE_PATH.items():
        if path == base or path.startswith(base + "/"):
            return provider, path[len(base) :]
    return None, path


def _parse(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


# --- the server ---------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, owner: FakeProviders, host: str) -> None:
        self.owner = owner
        super().__init__((host, 0), _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name, which can stall; the address will do.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client hanging up mid-answer is part of the job, not news


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30

    @property
    def _owner(self) -> FakeProviders:
        return cast(_Server, self.server).owner

    def setup(self) -> None:
        super().setup()
        # Headers and body are written apart; without this, Nagle's algorithm and the client's
        # delayed ACK add some 40 ms to every answer.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._owner._opened(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self._owner._closed(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    do_PUT = do_DELETE = do_PATCH = do_POST

    def _handle(self) -> None:
        raw = self._read_body()
        if raw is None:
            self.close_connection = True
            self._send(_Response(400, b"bad request framing", "text/plain"))
            return
        route = urlsplit(self.path).path
        provider, rest = _match(route)
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        body = _parse(raw)
        self._owner._record(
            Recorded(
                provider or "unknown", self.command, self.path, headers, body, raw, time.monotonic()
            )
        )
        if provider is None:
            self._send(_Response(404, b"404 page not found", "text/plain"))
            return
        endpoint = _ROUTES[provider].get((self.command, rest))
        if endpoint is None:
            self._send(_not_found(provider, self.command, route))
            return
        refusal = _refusal(provider, endpoint, body, headers)
        if refusal is not None:
            self._send(refusal)
            return
        self._act(provider, endpoint, body if isinstance(body, dict) else {})

    def _act(self, provider: Provider, endpoint: Endpoint, body: dict[str, Any]) -> None:
        action = self._owner._next_action(provider)
        if action.delay_s > 0 and self._owner._stopping.wait(action.delay_s):
            self.close_connection = True  # stopping: drop the request
            return
        if isinstance(action, Reply):
            self._send(_success(provider, endpoint, action, body))
        elif action.kind == "reset":
            self._reset()
        elif action.kind == "slow":
            self._send(_success(provider, endpoint, Reply(delay_s=action.delay_s), body))
        elif action.kind == "malformed":
            whole = _success(provider, endpoint, Reply(), {**body, "stream": False})
            self._send(_Response(200, whole.body[: len(whole.body) // 2], whole.content_type))
        else:
            model = body.get("model")
            name = model if isinstance(model, str) and model else _DEFAULT_MODEL[provider]
            self._send(_fault_response(provider, action, name))

    def _read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts: list[bytes] = []
            while True:
                size_line = self.rfile.readline(1024)
                try:
                    size = int(size_line.split(b";")[0].strip(), 16)
                except ValueError:
                    return None
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline(1024)
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        try:
            return self.rfile.read(int(length))
        except ValueError:
            return None

    def _send(self, response: _Response) -> None:
        try:
            self.send_response(response.status, _reason(response.status))
            self.send_header("Content-Type", response.content_type)
            for name, value in response.headers:
                self.send_header(name, value)
            if response.chunks is None:
                self.send_header("Content-Length", str(len(response.body)))
                payload = response.body
            else:
                self.send_header("Transfer-Encoding", "chunked")
                framed = [b"%x\r\n%s\r\n" % (len(c), c) for c in response.chunks]
                payload = b"".join(framed) + b"0\r\n\r\n"
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            self.close_connection = True

    def _reset(self) -> None:
        """Close the connection with a TCP RST and no answer."""
        self.close_connection = True
        connection = self.connection
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # The socket is closed only once its file objects are, so close those first.
        self.rfile.close()
        self.wfile.close()
        connection.close()


def _reason(status: int) -> str:
    if status == 529:
        return "Overloaded"
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


class FakeProviders:
    """OpenAI, Groq, Anthropic and Ollama on one local port, scripted, recording every request.

    The port is bound on construction; ``start()`` serves it from a daemon thread and ``stop()``
    closes it and every open connection. Also a context manager (start on enter, stop on exit).
    """

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._lock = threading.Lock()
        self._scripts: dict[Provider, deque[Action]] = {p: deque() for p in PROVIDERS}
        self._records: list[Recorded] = []
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._stopped = False
        self._server = _Server(self, host)
        self.host = host
        self.port: int = self._server.server_port

    # lifecycle

    def start(self) -> FakeProviders:
        if self._thread is not None or self._stopped:
            raise RuntimeError("FakeProviders: start() once, before stop()")
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fake-providers-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
        with self._lock:
            self._stopping.set()
            open_now = dict(self._connections)
        for connection in open_now:
            _shutdown(connection)
        for thread in open_now.values():
            if thread is not threading.current_thread():
                thread.join(timeout=5)
        self._server.server_close()

    def __enter__(self) -> FakeProviders:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # addresses

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def base_url(self, provider: str) -> str:
        """The base URL a client of ``provider`` is configured with."""
        return self.url + _BASE_PATH[_check(provider)]

    def env(self) -> dict[str, str]:
        """``OPENAI_BASE_URL`` and its siblings, pointing here."""
        return {_ENV_NAME[p]: self.base_url(p) for p in PROVIDERS}

    # scripts and records

    def script(self, provider: str, *actions: Action) -> None:
        """Queue ``actions`` for ``provider``, after any already queued."""
        for action in actions:
            if not isinstance(action, Reply | Fault):
                raise TypeError(f"script: expected Reply or Fault, got {type(action).__name__}")
        with self._lock:
            self._scripts[_check(provider)].extend(actions)

    def pending(self, provider: str) -> int:
        """How many scripted actions ``provider`` has not used yet."""
        with self._lock:
            return len(self._scripts[_check(provider)])

    def requests(self, provider: str | None = None) -> list[Recorded]:
        """The requests received so far, oldest first (of one provider when given)."""
        with self._lock:
            return [r for r in self._records if provider is None or r.provider == provider]

    def reset(self) -> None:
        """Forget every script and record."""
        with self._lock:
            for queue in self._scripts.values():
                queue.clear()
            self._records.clear()

    # called by the handler threads

    def _record(self, recorded: Recorded) -> None:
        with self._lock:
            self._records.append(recorded)

    def _next_action(self, provider: Provider) -> Action:
        with self._lock:
            queue = self._scripts[provider]
            return queue.popleft() if queue else Reply()

    def _opened(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections[connection] = threading.current_thread()
            stopping = self._stopping.is_set()
        if stopping:
            _shutdown(connection)

    def _closed(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.pop(connection, None)


def _check(provider: str) -> Provider:
    if provider not in PROVIDERS:
        raise ValueError(f"unknown provider {provider!r}; one of {', '.join(PROVIDERS)}")
    return provider


def _shutdown(connection: socket.socket) -> None:
    try:
        connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
