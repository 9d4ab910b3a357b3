"""Liveness, readiness and Prometheus metrics (§38). No key needed: they hold no tenant data."""

from __future__ import annotations

import os
import time
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from api.http.deps import api_of

router = APIRouter(tags=["operations"])

_KEY_ENV = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY", "groq": "GROQ_API_KEY"}


@router.get("/healthz", summary="Liveness")
def healthz() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


def _timed(check: Any) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        detail = check()
        ok = True
    except Exception as e:  # noqa: BLE001 - readiness reports failures, it does not raise them
        ok, detail = False, f"{type(e).__name__}: {e}"[:300]
    return {"ok": ok, "detail": detail, "ms": round((time.perf_counter() - started) * 1000, 2)}


@router.get("/readyz", summary="Readiness", responses={503: {"description": "Not ready"}})
def readyz(request: Request) -> JSONResponse:
    """The store and Redis answer; provider configuration and lane queue depths. 503 when the
    store or a configured Redis does not answer (providers do not gate readiness: without a
    model the deterministic specialists decide and borderline cases are held for a person)."""
    from sqlalchemy import text

    from supervisor.lanes import LANES

    api = api_of(request)

    def database() -> str:
        with api.db.connect() as conn:
            conn.execute(text("SELECT 1"))
        return "embedded PostgreSQL" if api.db.embedded else "PostgreSQL"

    def redis() -> str:
        import redis as redis_lib

        url = api.settings.redis_url
        if not url:
            return "not configured: in-process lanes, caches and rate limits"
        redis_lib.Redis.from_url(url, socket_timeout=1).ping()
        return "PONG"

    checks = {"database": _timed(database), "redis": _timed(redis)}
    providers = {
        name: "configured" if os.environ.get(var) else "no key (not used)"
        for name, var in _KEY_ENV.items()
    }
    providers["ollama"] = "configured" if os.environ.get("OLLAMA_BASE_URL") else "default URL"
    depth = {lane: api.executor.queue_depth(lane) for lane in LANES}
    ready = all(c["ok"] for c in checks.values())
    body = {
        "status": "ready" if ready else "not ready",
        "checks": checks,
        "providers": providers,
        "queue_depth": depth,
        "rate_limits": api.limiter.backend,
    }
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get("/metrics", summary="Prometheus metrics")
def metrics(request: Request) -> Response:
    """Request latency and errors, queue depth per lane, USD spent per tenant and stage."""
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
    from prometheus_client.core import CollectorRegistry, GaugeMetricFamily
    from sqlalchemy import text

    from supervisor.lanes import LANES

    api = api_of(request)
    depth = GaugeMetricFamily("conduit_queue_depth", "Jobs waiting per lane", labels=["lane"])
    for lane in LANES:
        depth.add_metric([lane], api.executor.queue_depth(lane))
    cost = GaugeMetricFamily(
        "conduit_stage_cost_usd",
        "USD spent on models per tenant and stage",
        labels=["tenant", "stage"],
    )
    with api.db.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT tenant_id, stage, coalesce(sum(usd_actual), 0) FROM supervisor_ledger"
                " GROUP BY tenant_id, stage ORDER BY 1, 2"
            )
        ).all()
    for tenant, stage, usd in rows:
        cost.add_metric([tenant, stage], float(usd))

    class _Now:
        def collect(self) -> list[GaugeMetricFamily]:
            return [depth, cost]

    scrape = CollectorRegistry()
    scrape.register(_Now())
    body = generate_latest(api.metrics.registry) + generate_latest(scrape)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
