"""The shared cache on the machine's Redis, health probes, configuration from the environment."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from adapters.cache import MemoryCache, RedisCache, cache_key
from adapters.config import DEFAULT_BASE_URLS, router_from_env
from core.errors import ConduitError
from policy.manifest import current_manifest
from tests.adapters.fake_providers import FakeProviders, Fault
from tests.adapters.test_conformance import HELLO, MODEL, PROVIDERS, ROUTERS, context, make_router
from tests.conftest import require

REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except Exception:  # noqa: BLE001 - any failure means: not available
        return False


@pytest.fixture(scope="module")
def server() -> Iterator[FakeProviders]:
    with FakeProviders() as s:
        yield s


@pytest.fixture(autouse=True)
def _close() -> Iterator[None]:
    yield
    while ROUTERS:
        ROUTERS.pop().close()


def test_redis_cache_round_trip_and_ttl() -> None:
    require(_redis_up(), "Redis on 127.0.0.1:6379")
    cache = RedisCache(REDIS_URL)
    key = cache_key({"test": str(uuid.uuid4())})
    assert cache.get(key) is None
    cache.set(key, b"value", ttl_s=60)
    assert cache.get(key) == b"value"
    import redis

    ttl = redis.Redis.from_url(REDIS_URL).ttl(key)
    assert 0 < ttl <= 60
    cache.set(key + "big", b"x" * (2 * 1024 * 1024 + 1), ttl_s=60)
    assert cache.get(key + "big") is None  # over 2 MB: not kept


def test_two_workers_share_answers_through_redis(server: FakeProviders) -> None:
    """A second router (another worker) finds the first one's answer: no second request."""
    require(_redis_up(), "Redis on 127.0.0.1:6379")
    scope = str(uuid.uuid4())  # a fresh key space for this test
    first = make_router(server, cache=RedisCache(REDIS_URL))
    ctx = context("openai", scope=scope)
    first.infer(HELLO, context=ctx, models=[MODEL["openai"]])
    second = make_router(server, cache=RedisCache(REDIS_URL))  # resets the server's record
    result = second.infer(HELLO, context=ctx, models=[MODEL["openai"]])
    assert result.cached and server.requests() == []


def test_memory_cache_expires_and_evicts() -> None:
    now = [0.0]
    cache = MemoryCache(max_entries=2, clock=lambda: now[0])
    cache.set("a", b"1", ttl_s=10)
    cache.set("b", b"2", ttl_s=10)
    cache.set("c", b"3", ttl_s=10)
    assert cache.get("a") is None and cache.get("c") == b"3"  # least recently used went
    now[0] = 11.0
    assert cache.get("b") is None


@pytest.mark.parametrize("provider", PROVIDERS)
def test_health_reports_reachability_and_breaker(server: FakeProviders, provider: str) -> None:
    router = make_router(server)
    assert router.health(provider)["reachable"] is True
    server.script(provider, Fault("overloaded"))
    assert router.health(provider)["reachable"] is False
    state = router.health(provider)
    assert state["breaker"] == "closed" and state["provider"] == provider


def test_health_of_an_unreachable_endpoint() -> None:
    from adapters.registry import bundled_registry
    from adapters.router import Router

    router = Router(
        manifest=current_manifest(),
        registry=bundled_registry(),
        base_urls={"ollama": "http://127.0.0.1:9"},
        pii_key=b"k" * 32,
    )
    try:
        report = router.health("ollama")
    finally:
        router.close()
    assert report["reachable"] is False and "connect" in report["detail"]


def test_router_from_env_reads_the_providers_variables(server: FakeProviders) -> None:
    env = {"OPENAI_BASE_URL": server.base_url("openai"), "OPENAI_API_KEY": "sk-test"}
    router = router_from_env(env, manifest=current_manifest(), pii_key=b"k" * 32)
    ROUTERS.append(router)
    assert router.base_urls["openai"] == server.base_url("openai")
    assert router.base_urls["anthropic"] == DEFAULT_BASE_URLS["anthropic"]
    assert router.api_keys == {"openai": "sk-test"}
    # The fake server's origin is not on the bundled egress list: refused before any request.
    server.reset()
    with pytest.raises(ConduitError) as info:
        router.infer(HELLO, context=context("openai"), models=[MODEL["openai"]])
    assert info.value.code == "POLICY_BLOCK" and server.requests() == []


def test_api_keys_travel_in_each_providers_header(server: FakeProviders) -> None:
    router = make_router(server)
    for provider in ("openai", "anthropic"):
        router.infer(HELLO, context=context(provider), models=[MODEL[provider]])
    [openai] = server.requests("openai")
    [anthropic] = server.requests("anthropic")
    assert openai.headers["authorization"] == "Bearer test-key-openai"
    assert anthropic.headers["x-api-key"] == "test-key-anthropic"
    assert anthropic.headers["anthropic-version"] == "2023-06-01"
