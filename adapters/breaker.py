"""A failure-rate circuit breaker per provider (after Portkey's): observable, time-injected.

Closed: calls flow, outcomes of the last ``window_s`` seconds are kept. When at least
``min_requests`` calls fell in the window and ``failure_rate`` of them failed transiently, the
breaker opens: calls to that provider are skipped (the router falls back) for ``cooldown_s``.
Then it is half-open: one probe goes through; success closes it, failure opens it again.
Deterministic failures (a bad request) say nothing about the provider's health and are not counted.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["BreakerBoard", "BreakerConfig", "BreakerState"]

State = Literal["closed", "open", "half_open"]


@dataclass(frozen=True)
class BreakerConfig:
    window_s: float = 60.0
    min_requests: int = 5
    failure_rate: float = 0.5
    cooldown_s: float = 30.0


@dataclass(frozen=True)
class BreakerState:
    provider: str
    state: State
    requests: int
    failures: int
    opened_at: float | None


@dataclass
class _Breaker:
    outcomes: deque[tuple[float, bool]] = field(default_factory=deque)
    opened_at: float | None = None
    probing: bool = False


class BreakerBoard:
    """The breakers of every provider, safe to share between threads."""

    def __init__(
        self, config: BreakerConfig | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.config = config or BreakerConfig()
        self._clock = clock
        self._lock = threading.Lock()
        self._breakers: dict[str, _Breaker] = {}

    def _get(self, provider: str) -> _Breaker:
        return self._breakers.setdefault(provider, _Breaker())

    def _state(self, b: _Breaker, now: float) -> State:
        if b.opened_at is None:
            return "closed"
        return "open" if now - b.opened_at < self.config.cooldown_s else "half_open"

    def allow(self, provider: str) -> bool:
        """Whether a call to ``provider`` may go now (a half-open breaker lets one probe by)."""
        with self._lock:
            b, now = self._get(provider), self._clock()
            state = self._state(b, now)
            if state == "closed":
                return True
            if state == "half_open" and not b.probing:
                b.probing = True
                return True
            return False

    def record(self, provider: str, ok: bool) -> None:
        """Count one call's outcome (transient failures only are failures)."""
        with self._lock:
            b, now = self._get(provider), self._clock()
            if b.opened_at is not None and self._state(b, now) == "half_open":
                b.probing = False
                b.opened_at = None if ok else now
                b.outcomes.clear()
                return
            b.outcomes.append((now, ok))
            while b.outcomes and now - b.outcomes[0][0] > self.config.window_s:
                b.outcomes.popleft()
            failures = sum(not o for _, o in b.outcomes)
            if len(
                b.outcomes
            ) >= self.config.min_requests and failures >= self.config.failure_rate * len(
                b.outcomes
            ):
                b.opened_at = now

    def state(self, provider: str) -> BreakerState:
        with self._lock:
            b, now = self._get(provider), self._clock()
            recent = [o for t, o in b.outcomes if now - t <= self.config.window_s]
            return BreakerState(
                provider,
                self._state(b, now),
                len(recent),
                sum(not o for o in recent),
                b.opened_at,
            )
