"""The fake providers server: each wire format, each fault, the script and the record."""

from __future__ import annotations

import base64
import json
import struct
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.adapters.fake_providers import (
    FAULT_KINDS,
    PROVIDERS,
    FakeProviders,
    Fault,
    Reply,
    embedding_for,
)

ANTHROPIC_HEADERS = {"anthropic-version": "2023-06-01", "x-api-key": "sk-ant-test"}
CHAT_PATH = {
    "openai": "/chat/completions",
    "groq": "/chat/completions",
    "anthropic": "/v1/messages",
    "ollama": "/api/chat",
}
HEALTH_PATH = {
    "openai": "/models",
    "groq": "/models",
    "anthropic": "/v1/models",
    "ollama": "/api/tags",
}
HELLO = [{"role": "user", "content": "hello"}]


@pytest.fixture(scope="module")
def server() -> Iterator[FakeProviders]:
    with FakeProviders() as fake:
        yield fake


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    # trust_env=False: a proxy in the environment must not see requests to 127.0.0.1.
    with httpx.Client(trust_env=False, timeout=5.0) as http:
        yield http


@pytest.fixture(autouse=True)
def _clean(server: FakeProviders) -> None:
    server.reset()


def chat(
    client: httpx.Client, server: FakeProviders, provider: str, **extra: Any
) -> httpx.Response:
    body: dict[str, Any] = {"model": f"{provider}-model", "messages": HELLO}
    headers: dict[str, str] = {}
    if provider == "anthropic":
        body["max_tokens"] = 64
        headers = dict(ANTHROPIC_HEADERS)
    elif provider == "ollama":
        body["stream"] = False
    else:
        headers = {"authorization": f"Bearer sk-{provider}"}
    body.update(extra)
    url = server.base_url(provider) + CHAT_PATH[provider]
    return client.post(url, json=body, headers=headers)


# --- addresses and success shapes ---------------------------------------------------------------


def test_base_urls_follow_each_provider(server: FakeProviders) -> None:
    root = f"http://127.0.0.1:{server.port}"
    assert server.base_url("openai") == f"{root}/openai/v1"
    assert server.base_url("groq") == f"{root}/groq/openai/v1"
    assert server.base_url("anthropic") == f"{root}/anthropic"
    assert server.base_url("ollama") == f"{root}/ollama"
    assert server.env()["GROQ_BASE_URL"] == server.base_url("groq")
    with pytest.raises(ValueError, match="unknown provider"):
        server.base_url("mistral")


@pytest.mark.parametrize("provider", ["openai", "groq"])
def test_openai_compatible_chat_success(
    server: FakeProviders, client: httpx.Client, provider: str
) -> None:
    server.script(provider, Reply(text="hi there", input_tokens=7, output_tokens=2))
    response = chat(client, server, provider)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-request-id"].startswith("req_")
    body = response.json()
    assert body["id"].startswith("chatcmpl-") and isinstance(body["created"], int)
    del body["id"], body["created"]
    assert body == {
        "object": "chat.completion",
        "model": f"{provider}-model",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "hi there"},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 7, "completion_tokens": 2, "total_tokens": 9},
    }


@pytest.mark.parametrize("provider", ["openai", "groq"])
def test_openai_compatible_embeddings(
    server: FakeProviders, client: httpx.Client, provider: str
) -> None:
    server.script(provider, Reply(input_tokens=4))  # a scripted Reply answers with embeddings
    url = server.base_url(provider) + "/embeddings"
    body = client.post(url, json={"model": "emb", "input": ["a", "b"]}).json()
    assert body["object"] == "list" and body["model"] == "emb"
    assert body["usage"] == {"prompt_tokens": 4, "total_tokens": 4}
    assert [d["index"] for d in body["data"]] == [0, 1]
    assert all(d["object"] == "embedding" for d in body["data"])
    assert [d["embedding"] for d in body["data"]] == [embedding_for("a"), embedding_for("b")]
    vector = embedding_for("a")
    assert len(vector) == 8 and embedding_for("a") == vector != embedding_for("b")
    assert abs(sum(x * x for x in vector) - 1) < 1e-4
    # The official client asks for base64 (little-endian float32) unless told otherwise.
    packed = client.post(url, json={"model": "emb", "input": "a", "encoding_format": "base64"})
    decoded = struct.unpack("<8f", base64.b64decode(packed.json()["data"][0]["embedding"]))
    assert decoded == pytest.approx(vector, abs=1e-6)


def test_anthropic_success(server: FakeProviders, client: httpx.Client) -> None:
    server.script("anthropic", Reply(text="bonjour", input_tokens=30, output_tokens=4))
    response = chat(client, server, "anthropic")
    assert response.status_code == 200 and response.headers["request-id"].startswith("req_")
    body = response.json()
    assert body.pop("id").startswith("msg_")
    assert body == {
        "type": "message",
        "role": "assistant",
        "model": "anthropic-model",
        "content": [{"type": "text", "text": "bonjour"}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 30, "output_tokens": 4},
    }


def test_ollama_chat_embed_and_stream(server: FakeProviders, client: httpx.Client) -> None:
    server.script("ollama", Reply(text="two words", input_tokens=9, output_tokens=3))
    body = chat(client, server, "ollama").json()
    assert isinstance(body.pop("total_duration"), int)
    assert body["message"] == {"role": "assistant", "content": "two words"}
    assert body["model"] == "ollama-model" and body["created_at"] == "2026-11-22T10:00:00Z"
    assert (body["done"], body["done_reason"]) == (True, "stop")
    assert (body["prompt_eval_count"], body["eval_count"]) == (9, 3)

    url = server.base_url("ollama") + "/api/embed"
    embedded = client.post(url, json={"model": "nomic", "input": ["x", "y"]}).json()
    assert embedded["model"] == "nomic"
    assert embedded["embeddings"] == [embedding_for("x"), embedding_for("y")]

    # Without stream:false Ollama streams NDJSON, as the real server does.
    streamed = chat(client, server, "ollama", stream=None)
    assert streamed.headers["content-type"] == "application/x-ndjson"
    lines = [json.loads(line) for line in streamed.text.splitlines()]
    assert "".join(line["message"]["content"] for line in lines) == "ok"
    assert [line["done"] for line in lines] == [False, True]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_health_endpoints(server: FakeProviders, client: httpx.Client, provider: str) -> None:
    headers = ANTHROPIC_HEADERS if provider == "anthropic" else {}
    response = client.get(server.base_url(provider) + HEALTH_PATH[provider], headers=headers)
    assert response.status_code == 200
    body = response.json()
    if provider == "ollama":
        assert body == {"models": [{"name": "llama3.1:8b", "model": "llama3.1:8b"}]}
    else:
        assert isinstance(body["data"], list) and body["data"][0]["id"]
    [recorded] = server.requests(provider)
    assert (recorded.method, recorded.body, recorded.raw) == ("GET", None, b"")


# --- faults -------------------------------------------------------------------------------------

# provider -> fault -> (status, error type or None, code or None, a piece of the message)
EXPECTED: dict[str, dict[str, tuple[int, str | None, str | None, str]]] = {
    "openai": {
        "rate_limit": (429, "requests", "rate_limit_exceeded", "Rate limit reached"),
        "quota": (429, "insufficient_quota", "insufficient_quota", "exceeded your current quota"),
        "server_error": (500, "server_error", None, "had an error"),
        "overloaded": (503, "server_error", None, "The engine is currently overloaded"),
        "context_length": (
            400,
            "invalid_request_error",
            "context_length_exceeded",
            "maximum context length is 8192 tokens. However, your messages resulted in 9000",
        ),
        "bad_request": (400, "invalid_request_error", None, "Invalid value"),
        "auth": (401, "invalid_request_error", "invalid_api_key", "Incorrect API key"),
    },
    "groq": {
        "rate_limit": (429, "tokens", "rate_limit_exceeded", "Rate limit reached"),
        "quota": (429, "insufficient_quota", "insufficient_quota", "quota"),
        "server_error": (500, "internal_server_error", None, "Internal Server Error"),
        "overloaded": (503, "internal_server_error", None, "overloaded"),
        "context_length": (
            400,
            "invalid_request_error",
            "context_length_exceeded",
            "reduce the length",
        ),
        "bad_request": (400, "invalid_request_error", None, "temperature"),
        "auth": (401, "invalid_request_error", "invalid_api_key", "Invalid API Key"),
    },
    "anthropic": {
        "rate_limit": (429, "rate_limit_error", None, "rate limit"),
        "quota": (
            400,
            "invalid_request_error",
            None,
            "Your credit balance is too low to access the Anthropic API. Please go to Plans & "
            "Billing to upgrade or purchase credits.",
        ),
        "server_error": (500, "api_error", None, "Internal server error"),
        "overloaded": (529, "overloaded_error", None, "Overloaded"),
        "context_length": (
            400,
            "invalid_request_error",
            None,
            "prompt is too long: 210000 tokens > 200000 maximum",
        ),
        "bad_request": (400, "invalid_request_error", None, "messages"),
        "auth": (401, "authentication_error", None, "x-api-key"),
    },
    "ollama": {
        "rate_limit": (429, None, None, "too many requests"),
        "quota": (429, None, None, "quota exceeded"),
        "server_error": (500, None, None, "llama runner process has terminated"),
        "overloaded": (
            503,
            None,
            None,
            "server busy, please try again. maximum pending requests exceeded",
        ),
        "context_length": (400, None, None, "input length exceeds the context length"),
        "bad_request": (400, None, None, "invalid request"),
        "auth": (401, None, None, "unauthorized"),
    },
}
HTTP_FAULTS = sorted(EXPECTED["openai"])


def _error_fields(provider: str, body: Any) -> tuple[str | None, str | None, str]:
    if provider == "ollama":
        assert set(body) == {"error"}
        return None, None, str(body["error"])
    if provider == "anthropic":
        assert body["type"] == "error" and set(body["error"]) == {"type", "message"}
        return body["error"]["type"], None, body["error"]["message"]
    assert set(body["error"]) == {"message", "type", "param", "code"}
    return body["error"]["type"], body["error"]["code"], body["error"]["message"]


@pytest.mark.parametrize("kind", HTTP_FAULTS)
@pytest.mark.parametrize("provider", PROVIDERS)
def test_fault_in_the_providers_own_words(
    server: FakeProviders, client: httpx.Client, provider: str, kind: str
) -> None:
    server.script(provider, Fault(kind))
    response = chat(client, server, provider)
    status, type_, code, message = EXPECTED[provider][kind]
    assert response.status_code == status
    assert "retry-after" not in response.headers
    got_type, got_code, got_message = _error_fields(provider, response.json())
    assert (got_type, got_code) == (type_, code)
    assert message in got_message


def test_every_http_fault_kind_is_covered() -> None:
    assert set(HTTP_FAULTS) | {"slow", "malformed", "reset"} == set(FAULT_KINDS)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_rate_limit_carries_retry_after(
    server: FakeProviders, client: httpx.Client, provider: str
) -> None:
    server.script(provider, Fault("rate_limit", retry_after=2), Fault("rate_limit", 0.5))
    assert chat(client, server, provider).headers["retry-after"] == "2"
    assert chat(client, server, provider).headers["retry-after"] == "0.5"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_malformed_is_a_200_that_is_not_json(
    server: FakeProviders, client: httpx.Client, provider: str
) -> None:
    server.script(provider, Fault("malformed"))
    response = chat(client, server, provider)
    assert response.status_code == 200 and response.content
    with pytest.raises(json.JSONDecodeError):
        response.json()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_reset_drops_the_connection_after_recording(
    server: FakeProviders, client: httpx.Client, provider: str
) -> None:
    server.script(provider, Fault("reset"))
    with pytest.raises(httpx.TransportError):
        chat(client, server, provider)
    [recorded] = server.requests(provider)
    assert recorded.body is not None and recorded.body["messages"] == HELLO
    assert chat(client, server, provider).status_code == 200  # the server carries on


def test_slow_waits_then_succeeds(server: FakeProviders, client: httpx.Client) -> None:
    server.script("openai", Fault("slow", delay_s=0.2))
    started = time.monotonic()
    response = chat(client, server, "openai")
    assert time.monotonic() - started >= 0.2
    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"] == "ok"


def test_delay_applies_to_faults_and_replies(server: FakeProviders, client: httpx.Client) -> None:
    server.script("groq", Fault("server_error", delay_s=0.1), Reply(text="late", delay_s=0.1))
    started = time.monotonic()
    assert chat(client, server, "groq").status_code == 500
    assert chat(client, server, "groq").json()["choices"][0]["message"]["content"] == "late"
    assert time.monotonic() - started >= 0.2


def test_faults_are_validated() -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        Fault("teapot")
    with pytest.raises(ValueError, match="delay_s"):
        Fault("slow")


# --- scripts and records ------------------------------------------------------------------------


def test_scripts_are_per_provider_and_consumed_in_order(
    server: FakeProviders, client: httpx.Client
) -> None:
    server.script("openai", Reply(text="first"), Fault("auth"))
    server.script("openai", Reply(text="third"))
    server.script("anthropic", Fault("overloaded"))
    assert (server.pending("openai"), server.pending("anthropic")) == (3, 1)

    assert chat(client, server, "groq").json()["choices"][0]["message"]["content"] == "ok"
    assert chat(client, server, "ollama").json()["message"]["content"] == "ok"
    assert server.pending("openai") == 3  # other providers' calls leave the script alone

    def text() -> str:
        return str(chat(client, server, "openai").json()["choices"][0]["message"]["content"])

    assert text() == "first"
    assert chat(client, server, "openai").status_code == 401
    assert text() == "third"
    assert text() == "ok"  # the script is used up: default Reply()
    assert chat(client, server, "anthropic").status_code == 529
    assert chat(client, server, "anthropic").status_code == 200


def test_requests_are_recorded_with_body_and_headers(
    server: FakeProviders, client: httpx.Client
) -> None:
    before = time.monotonic()
    chat(client, server, "anthropic", temperature=0.5)
    chat(client, server, "openai")
    everything = server.requests()
    assert [r.provider for r in everything] == ["anthropic", "openai"]
    [anthropic] = server.requests("anthropic")
    assert (anthropic.method, anthropic.path) == ("POST", "/anthropic/v1/messages")
    assert anthropic.headers["x-api-key"] == "sk-ant-test"
    assert anthropic.headers["anthropic-version"] == "2023-06-01"
    assert anthropic.body == {
        "model": "anthropic-model",
        "messages": HELLO,
        "max_tokens": 64,
        "temperature": 0.5,
    }
    assert json.loads(anthropic.raw) == anthropic.body
    [openai] = server.requests("openai")
    assert openai.headers["authorization"] == "Bearer sk-openai"
    assert before <= anthropic.at <= openai.at <= time.monotonic()


def test_refused_requests_are_recorded_but_use_no_script(
    server: FakeProviders, client: httpx.Client
) -> None:
    server.script("anthropic", Reply(text="kept"))
    url = server.base_url("anthropic") + "/v1/messages"
    body = {"model": "m", "max_tokens": 5, "messages": HELLO}
    response = client.post(url, json=body)  # no anthropic-version header
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "anthropic-version: header is required"
    no_json = client.post(server.base_url("openai") + "/chat/completions", content=b"{oops")
    assert no_json.status_code == 400 and no_json.json()["error"]["type"] == (
        "invalid_request_error"
    )
    missing = client.post(server.base_url("openai") + "/chat/completions", json={"model": "m"})
    assert missing.json()["error"]["param"] == "messages"
    unknown = client.get(server.base_url("openai") + "/nowhere")
    assert unknown.status_code == 404
    assert [r.raw for r in server.requests()][1] == b"{oops"
    assert len(server.requests()) == 4 and server.pending("anthropic") == 1


def test_reset_forgets_scripts_and_records(server: FakeProviders, client: httpx.Client) -> None:
    server.script("ollama", Fault("auth"))
    chat(client, server, "groq")
    server.reset()
    assert server.requests() == [] and server.pending("ollama") == 0
    assert chat(client, server, "ollama").status_code == 200


def test_concurrent_requests_are_served_in_parallel(
    server: FakeProviders, client: httpx.Client
) -> None:
    server.script("openai", *[Reply(text=str(i), delay_s=0.2) for i in range(6)])

    def call(_: int) -> str:  # one pooled connection per thread
        return str(chat(client, server, "openai").json()["choices"][0]["message"]["content"])

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = sorted(pool.map(call, range(6)))
    assert time.monotonic() - started < 0.2 * 6 / 2
    assert answers == [str(i) for i in range(6)]
    assert len(server.requests("openai")) == 6


def test_stop_closes_idle_and_sleeping_connections() -> None:
    fake = FakeProviders().start()
    errors: list[BaseException] = []
    with (
        httpx.Client(trust_env=False, timeout=5.0) as idle,
        httpx.Client(trust_env=False, timeout=5.0) as busy,
    ):
        assert chat(idle, fake, "ollama").status_code == 200  # leaves a keep-alive connection
        fake.script("ollama", Reply(delay_s=5.0))

        def hang() -> None:
            try:
                chat(busy, fake, "ollama")
            except httpx.TransportError as error:
                errors.append(error)

        caller = threading.Thread(target=hang)
        caller.start()
        while len(fake.requests("ollama")) < 2:
            time.sleep(0.01)
        started = time.monotonic()
        fake.stop()
        caller.join(timeout=5)
        assert time.monotonic() - started < 2
        assert len(errors) == 1
    fake.stop()  # idempotent
    with pytest.raises(RuntimeError):
        fake.start()
