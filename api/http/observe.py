"""Per request: one OpenTelemetry span, Prometheus figures, one JSON log line, and the headers
every response carries (the Policy Manifest and artifacts it used, a request id).

A pure ASGI middleware (no per-request task or body copy, unlike Starlette's
``BaseHTTPMiddleware``). The metrics live in the app's own registry, so two apps in one process
(tests) do not share them:

- ``conduit_http_request_duration_seconds{method,route,status}`` (histogram)
- ``conduit_http_errors_total{code,route}``: error responses by §31 code
- ``conduit_queue_depth{lane}`` and ``conduit_stage_cost_usd_total{tenant,stage}``: read at
  scrape time from the executor and the ledger (``api.http.routes.ops``)
"""

from __future__ import annotations

import json
import logging
import time
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Histogram

from core.ids import ulid
from core.observability import bind_run, span

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, MutableMapping

    Scope = MutableMapping[str, Any]
    Message = MutableMapping[str, Any]
    Receive = Callable[[], Awaitable[Message]]
    Send = Callable[[Message], Awaitable[None]]
    ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

__all__ = ["Metrics", "ObserveMiddleware"]

log = logging.getLogger("conduit.api.access")


class Metrics:
    """The app's Prometheus registry and request figures."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "conduit_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route", "status"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.errors = Counter(
            "conduit_http_errors",
            "HTTP error responses by §31 code",
            ["code", "route"],
            registry=self.registry,
        )


def _route(scope: Scope) -> str:
    route = scope.get("route")
    return str(getattr(route, "path", None) or "unmatched")


class ObserveMiddleware:
    """Wraps the app: span, metrics, access log and the version headers of each response."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = ulid()
        state: dict[str, Any] = scope.setdefault("state", {})
        status: dict[str, Any] = {"code": 500, "error": None}
        method = scope["method"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                policy = state.get("policy")
                if policy is not None:
                    headers.append((b"x-conduit-policy-version", policy[0].encode()))
                    headers.append((b"x-conduit-policy-hash", policy[1].encode()))
                artifacts = state.get("artifacts")
                if artifacts:
                    joined = ",".join(artifacts[:32])
                    headers.append((b"x-conduit-artifact-hashes", joined.encode()))
                if message["status"] >= 400:
                    status["error"] = "pending"
                message["headers"] = headers
            elif message["type"] == "http.response.body" and status["error"] == "pending":
                status["error"] = _code_of(message.get("body", b""))
            await send(message)

        run_id = (scope.get("path_params") or {}).get("run_id")
        with bind_run(run_id), span("http.request", **{"http.method": method}) as current:
            try:
                await self.app(scope, receive, send_with_headers)
            finally:
                route = _route(scope)
                run_id = (scope.get("path_params") or {}).get("run_id")
                current.update_name(f"{method} {route}")
                current.set_attribute("http.route", route)
                current.set_attribute("http.status_code", int(status["code"] or 0))
                if run_id:
                    current.set_attribute("conduit.run_id", str(run_id))
                if state.get("tenant"):
                    current.set_attribute("conduit.tenant", str(state["tenant"]))
                seconds = time.perf_counter() - started
                self.metrics.latency.labels(method, route, str(status["code"])).observe(seconds)
                if status["error"]:
                    self.metrics.errors.labels(str(status["error"]), route).inc()
                log.info(
                    "%s %s %s %.1f ms",
                    method,
                    scope.get("path"),
                    status["code"],
                    seconds * 1000,
                    extra={"run_id": run_id, "request_id": request_id},
                )


def _code_of(body: bytes) -> str:
    try:
        return str(json.loads(body).get("code") or "unknown")
    except (ValueError, AttributeError):
        return "unknown"
