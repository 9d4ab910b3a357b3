"""Conformance: every provider x every fault maps to the same §31 code, over the real wire formats.

The local server (``fake_providers``) speaks OpenAI, Anthropic, Groq and Ollama; the router talks
to it exactly as it would to the providers, and every request body it sent is on record.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel

from adapters.breaker import BreakerBoard, BreakerConfig
from adapters.cache import MemoryCache
from adapters.registry import bundled_registry
from adapters.router import Router
from adapters.types import CallContext, ChatMessage, Params
from core.errors import ConduitError
from policy.manifest import current_manifest
from tests.adapters.fake_providers import FakeProviders, Fault, Reply

PROVIDERS = ["openai", "anthropic", "groq", "ollama"]
MODEL = {
    "openai": "openai/gpt-4o-mini",
    "anthropic": "anthropic/claude-haiku-3.5",
    "groq": "groq/llama-3.3-70b",
    "ollama": "ollama/llama3.1-8b",
}
#: The §31 code each fault must surface as, for every provider (the table of the issue's note).
FAULT_CODES = {
    "rate_limit": "RATE_LIMIT",
    "quota": "QUOTA_EXHAUSTED",
    "server_error": "TRANSIENT_ERROR",
    "overloaded": "PROVIDER_UNHEALTHY",
    "slow": "TIMEOUT",
    "context_length": "DETERMINISTIC_FAILURE",
    "malformed": "TRANSIENT_ERROR",
    "reset": "TRANSIENT_ERROR",
    "bad_request": "DETERMINISTIC_FAILURE",
    "auth": "DETERMINISTIC_FAILURE",
}


@pytest.fixture(scope="module")
def server() -> Iterator[FakeProviders]:
    with FakeProviders() as s:
        yield s


def _manifest(server: FakeProviders) -> Any:
    base = current_manifest()
    origin = server.base_url("openai").split("/openai")[0]
    return base.model_copy(update={"egress_allowlist": [*base.egress_allowlist, origin]})


ROUTERS: list[Router] = []


@pytest.fixture(autouse=True)
def _close_routers() -> Iterator[None]:
    yield
    while ROUTERS:
        ROUTERS.pop().close()


def make_router(server: FakeProviders, **kwargs: Any) -> Router:
    server.reset()
    kwargs.setdefault("breakers", BreakerBoard(BreakerConfig(min_requests=1000)))
    router = Router(
        manifest=kwargs.pop("manifest", _manifest(server)),
        registry=bundled_registry(),
        base_urls={p: server.base_url(p) for p in PROVIDERS},
        api_keys={p: f"test-key-{p}" for p in PROVIDERS},
        pii_key=b"k" * 32,
        cache=kwargs.pop("cache", MemoryCache()),
        sleep=lambda s: None,
        deadlines={"interactive": 0.5, "flex": 5.0, "batch": 5.0},
        **kwargs,
    )
    ROUTERS.append(router)
    return router


def context(provider: str, **kw: Any) -> CallContext:
    override = provider == "ollama"
    base: dict[str, Any] = {
        "stage": "domains",
        "mode": "metadata_only",
        "actor_user_id": "mia",
        "actor_role": "maintainer" if override else "analyst",
        "local_only_override": False,
    }
    base.update(kw)
    return CallContext(**base)


HELLO = [ChatMessage(role="user", content="Name the domain of a column called invoice_total.")]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_success_is_normalised(server: FakeProviders, provider: str) -> None:
    router = make_router(server)
    server.script(provider, Reply(text="finance.amount", input_tokens=21, output_tokens=3))
    result = router.infer(HELLO, context=context(provider), models=[MODEL[provider]])
    assert result.text == "finance.amount"
    assert (result.usage.input_tokens, result.usage.output_tokens) == (21, 3)
    assert result.provider == provider and result.model == MODEL[provider]
    spec = bundled_registry().get(MODEL[provider])
    assert result.usd == spec.cost(21, 3)
    [request] = server.requests(provider)
    assert request.body is not None and request.body["model"] == spec.model


@pytest.mark.parametrize("fault", sorted(FAULT_CODES))
@pytest.mark.parametrize("provider", PROVIDERS)
def test_fault_maps_to_one_code(server: FakeProviders, provider: str, fault: str) -> None:
    router = make_router(server)
    actions = [Fault(fault, delay_s=1.0 if fault == "slow" else 0.0)] * 3
    server.script(provider, *actions)
    lane = "interactive" if fault == "slow" else "flex"  # the slow reply outlasts 0.5 s only
    with pytest.raises(ConduitError) as info:
        router.infer(HELLO, context=context(provider, lane=lane), models=[MODEL[provider]])
    assert info.value.code == FAULT_CODES[fault], info.value.message
    sent = server.requests(provider)
    retried = FAULT_CODES[fault] in ("RATE_LIMIT", "TRANSIENT_ERROR") and fault != "slow"
    assert len(sent) == (3 if retried else 1)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_rate_limit_honours_retry_after_then_succeeds(server: FakeProviders, provider: str) -> None:
    waits: list[float] = []
    router = make_router(server)
    router._sleep = waits.append  # observe the backoff instead of sleeping
    server.script(provider, Fault("rate_limit", retry_after=0.2), Reply(text="ok"))
    result = router.infer(HELLO, context=context(provider, lane="flex"), models=[MODEL[provider]])
    assert result.text == "ok" and result.retries == 1
    assert waits == [0.2]


def test_fallback_chain_moves_on_after_an_overloaded_provider(server: FakeProviders) -> None:
    router = make_router(server)
    server.script("anthropic", Fault("overloaded"))
    server.script("openai", Reply(text="from openai"))
    result = router.infer(
        HELLO, context=context("openai"), models=[MODEL["anthropic"], MODEL["openai"]]
    )
    assert result.text == "from openai"
    assert result.fallback_chain == (
        f"{MODEL['anthropic']}:PROVIDER_UNHEALTHY",
        f"{MODEL['openai']}:ok",
    )


def test_context_too_long_tries_a_larger_context_model(server: FakeProviders) -> None:
    router = make_router(server)
    long = [ChatMessage(role="user", content="column notes " * 4000)]  # ~ 15k tokens
    server.script("openai", Reply(text="large enough"))
    result = router.infer(
        long,
        context=context("openai"),
        models=["groq/llama-3.1-8b", MODEL["openai"]],
    )
    assert result.text == "large enough"
    assert result.fallback_chain[0] == "groq/llama-3.1-8b:context"
    assert server.requests("groq") == []


def test_breaker_opens_and_skips_the_provider(server: FakeProviders) -> None:
    router = make_router(server, breakers=BreakerBoard(BreakerConfig(min_requests=2)))
    server.script("groq", *[Fault("overloaded")] * 5)
    for _ in range(2):
        with pytest.raises(ConduitError):
            router.infer(HELLO, context=context("groq"), models=[MODEL["groq"]])
    assert router.breakers.state("groq").state == "open"
    before = len(server.requests("groq"))
    with pytest.raises(ConduitError) as info:
        router.infer(HELLO, context=context("groq"), models=[MODEL["groq"]])
    assert info.value.code == "PROVIDER_UNHEALTHY"
    assert len(server.requests("groq")) == before


class Domain(BaseModel):
    column: str
    domain: str


@pytest.mark.parametrize("provider", PROVIDERS)
def test_structured_output_is_parsed_and_validated(server: FakeProviders, provider: str) -> None:
    router = make_router(server)
    server.script(provider, Reply(text='{"column": "invoice_total", "domain": "finance.amount"}'))
    result = router.infer(
        HELLO,
        context=context(provider),
        models=[MODEL[provider]],
        schema=Domain,
        params=Params(temperature=2.0, stop=("END",)),
    )
    assert result.parsed == {"column": "invoice_total", "domain": "finance.amount"}
    [request] = server.requests(provider)
    body = request.body or {}
    temperature = body.get("temperature", body.get("options", {}).get("temperature"))
    assert temperature == (1.0 if provider == "anthropic" else 2.0)
    stop = body.get("stop") or body.get("stop_sequences") or body.get("options", {}).get("stop")
    assert stop == ["END"]
