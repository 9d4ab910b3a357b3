"""Rate limits per API key: a token bucket in Redis, shared by every API process, with an
in-process bucket when Redis is not configured or does not answer.

Each key gets ``burst`` tokens, refilled at ``rate`` per second; a request takes one. An empty
bucket refuses with RATE_LIMIT (429) and ``Retry-After``: the seconds until a token is back. The
Redis bucket is one Lua script (atomic, on the server's clock), so processes never disagree.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, ClassVar

from core.errors import RateLimited

__all__ = ["KeyRateLimited", "LocalBuckets", "RateLimiter", "RedisBuckets"]

log = logging.getLogger("conduit.api")

_SCRIPT = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1e6
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(b[1]) or burst
local ts = tonumber(b[2]) or t
tokens = math.min(burst, tokens + math.max(0, t - ts) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(t))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return tostring(wait)
"""


class KeyRateLimited(RateLimited):
    """RATE_LIMIT for one key, with the seconds to wait."""

    http_status_override: ClassVar[int | None] = 429

    def __init__(self, message: str, retry_after_s: float) -> None:
        super().__init__(message, field="authorization")
        self.retry_after_s = retry_after_s


class LocalBuckets:
    """Token buckets in this process."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def wait_s(self, key: str) -> float:
        """Take a token for ``key``; 0 when taken, else the seconds until one is back."""
        now = time.monotonic()
        with self._lock:
            tokens, ts = self._buckets.get(key, (float(self.burst), now))
            tokens = min(self.burst, tokens + (now - ts) * self.rate)
            wait = 0.0
            if tokens >= 1:
                tokens -= 1
            else:
                wait = (1 - tokens) / self.rate
            self._buckets[key] = (tokens, now)
            return wait


class RedisBuckets:
    """Token buckets in Redis (``conduit:rl:<key>``)."""

    def __init__(self, url: str, rate: float, burst: int) -> None:
        import redis

        self.rate, self.burst = rate, burst
        self._redis: Any = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._script = self._redis.register_script(_SCRIPT)

    def wait_s(self, key: str) -> float:
        return float(self._script(keys=[f"conduit:rl:{key}"], args=[self.rate, self.burst]))


class RateLimiter:
    """The API's limiter: Redis when it answers, the local buckets when it does not."""

    def __init__(self, rate: float, burst: int, redis_url: str | None = None) -> None:
        self.rate, self.burst = rate, burst
        self.local = LocalBuckets(rate, burst)
        self.shared = RedisBuckets(redis_url, rate, burst) if redis_url else None
        self.backend = "redis" if self.shared else "local"

    def take(self, key: str) -> None:
        """Take one token for ``key`` or raise KeyRateLimited."""
        wait = None
        if self.shared is not None:
            try:
                wait = self.shared.wait_s(key)
                self.backend = "redis"
            except Exception as e:  # Redis down: keep limiting, per process
                if self.backend == "redis":
                    log.warning("rate limits fall back to this process: Redis failed: %s", e)
                self.backend = "local"
        if wait is None:
            wait = self.local.wait_s(key)
        if wait > 0:
            raise KeyRateLimited(
                f"rate limit of {self.rate:g} requests/s (burst {self.burst}) for this key "
                f"reached; retry in {wait:.2f} s",
                wait,
            )
