"""Each request to a provider is one ``model.call`` span: provider, model, run, outcome, tokens."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from core.observability import bind_run, span
from tests.adapters.fake_providers import FakeProviders, Fault, Reply
from tests.adapters.test_conformance import HELLO, MODEL, ROUTERS, context, make_router


@pytest.fixture(scope="module")
def server() -> Iterator[FakeProviders]:
    with FakeProviders() as s:
        yield s


@pytest.fixture(autouse=True)
def _close() -> Iterator[None]:
    yield
    while ROUTERS:
        ROUTERS.pop().close()


def _calls(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    return [s for s in exporter.get_finished_spans() if s.name == "model.call"]


def test_a_model_call_is_a_span_with_provider_model_and_run(
    server: FakeProviders, span_exporter: InMemorySpanExporter
) -> None:
    router = make_router(server)
    server.script("openai", Reply(text="finance.amount", input_tokens=40, output_tokens=10))
    ctx = context("openai", run_id="01JRUNSPANS0000000000000000")
    with span("request"):
        result = router.infer(HELLO, context=ctx, models=[MODEL["openai"]])
    [call] = _calls(span_exporter)
    attributes = dict(call.attributes or {})
    assert attributes["conduit.provider"] == "openai"
    assert attributes["conduit.model"] == MODEL["openai"] == result.model
    assert attributes["conduit.lane"] == "interactive"
    assert attributes["conduit.run_id"] == "01JRUNSPANS0000000000000000"
    assert attributes["conduit.outcome"] == "ok"
    assert (attributes["conduit.input_tokens"], attributes["conduit.output_tokens"]) == (40, 10)
    assert attributes["conduit.usd"] == pytest.approx(float(result.usd))
    [request] = [s for s in span_exporter.get_finished_spans() if s.name == "request"]
    assert call.parent is not None and call.parent.span_id == request.context.span_id
    # a cache hit sends no request, and opens no span
    router.infer(HELLO, context=ctx, models=[MODEL["openai"]])
    assert len(_calls(span_exporter)) == 1


def test_each_retry_and_fallback_is_its_own_span(
    server: FakeProviders, span_exporter: InMemorySpanExporter
) -> None:
    router = make_router(server)
    router._sleep = lambda _s: None
    server.script("anthropic", Fault("overloaded"), Fault("overloaded"), Fault("overloaded"))
    server.script("openai", Reply(text="from openai"))
    with bind_run("01JRUNBOUND000000000000000"):  # a context without a run id: the bound one
        router.infer(HELLO, context=context("openai"), models=[MODEL["anthropic"], MODEL["openai"]])
    calls = _calls(span_exporter)
    providers = [(c.attributes or {})["conduit.provider"] for c in calls]
    assert providers == ["anthropic"] * len(server.requests("anthropic")) + ["openai"]
    assert len(server.requests("anthropic")) >= 1
    *failed, ok = calls
    for c in failed:
        assert c.status.status_code is StatusCode.ERROR
        assert (c.attributes or {})["conduit.outcome"] != "ok"
    assert ok.status.status_code is StatusCode.UNSET
    assert {(c.attributes or {})["conduit.run_id"] for c in calls} == {"01JRUNBOUND000000000000000"}
