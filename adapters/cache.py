"""The completion cache (§19, §36): Redis when configured, an in-process LRU otherwise.

The key covers everything that can change an answer or who may see it: provider, model,
normalised parameters, the (masked) prompt's hash, lane, mode, the PII flag, the context scope,
the artifact hashes the prompt was built from, the policy version, the locale and the schema.
TTL by lane: 24 h interactive, 72 h flex, 7 days batch; entries over 2 MB are not kept; empty
answers are kept 5 minutes at most (negative caching); ``fresh=True`` skips the lookup and
overwrites the entry.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

from core.canonical import content_hash

__all__ = ["TTL_S", "Cache", "MemoryCache", "RedisCache", "cache_key"]

TTL_S = {"interactive": 24 * 3600, "flex": 72 * 3600, "batch": 7 * 24 * 3600}
NEGATIVE_TTL_S = 300
MAX_ENTRY = 2 * 1024 * 1024
_PREFIX = "conduit:llm:"


class Cache(Protocol):
    def get(self, key: str) -> bytes | None: ...

    def set(self, key: str, value: bytes, ttl_s: int) -> None: ...


def cache_key(parts: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of ``parts`` (every §19 key component)."""
    return _PREFIX + content_hash(parts)


class MemoryCache:
    """A thread-safe LRU with per-entry expiry (the embedded default)."""

    def __init__(
        self, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._data: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._max = max_entries
        self._clock = clock
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            item = self._data.get(key)
            if item is None:
                return None
            expires, value = item
            if self._clock() >= expires:
                del self._data[key]
                return None
            self._data.move_to_end(key)
            return value

    def set(self, key: str, value: bytes, ttl_s: int) -> None:
        if len(value) > MAX_ENTRY:
            return
        with self._lock:
            self._data[key] = (self._clock() + ttl_s, value)
            self._data.move_to_end(key)
            while len(self._data) > self._max:
                self._data.popitem(last=False)


class RedisCache:
    """The same interface on Redis (``CONDUIT_REDIS_URL``); Redis evicts by TTL and its policy."""

    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=2.0)

    def get(self, key: str) -> bytes | None:
        value = self._redis.get(key)
        return value if isinstance(value, bytes) else None

    def set(self, key: str, value: bytes, ttl_s: int) -> None:
        if len(value) <= MAX_ENTRY:
            self._redis.set(key, value, ex=ttl_s)
