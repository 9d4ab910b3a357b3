"""Tenancy (§40): a key of tenant B finds none of tenant A's objects — every GET route answers
404 for them, lists leave them out — and row-level security holds when the API's own check is
bypassed."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from core.db import Database
from core.errors import NotFoundError
from tests.api.http.conftest import KeyMaker, auth, example_contract
from tests.conftest import LENIENT_PROFILE

#: GET routes whose path names no tenant's object: reference data every tenant shares.
SHARED = {"/v1/profiles/{profile_id}"}


def _wait(client: TestClient, token: str, run_id: str, timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.get(f"/v1/runs/{run_id}", headers=auth(token)).json()["status"]
        if status in ("completed", "failed", "held", "stopped", "stopped:reject"):
            return str(status)
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not finish in {timeout} s")


@pytest.fixture(scope="module")
def tenant_a(client: TestClient, key: KeyMaker, lenient_profile: str) -> dict[str, Any]:
    """A run of tenant A that went through every stage (so every GET route has an object)."""
    token = key("tenant-a", "admin")
    doc = example_contract(human_confirm_required=False, threshold_profile_id=LENIENT_PROFILE)
    created = client.post("/v1/runs", json={"contract": doc}, headers=auth(token))
    assert created.status_code == 201, created.text
    run_id = created.json()["run_id"]
    assert _wait(client, token, run_id) == "completed"
    ticket = client.post(
        f"/v1/runs/{run_id}/tickets",
        json={"kind": "question", "subject": "why this lane?"},
        headers=auth(token),
    )
    assert ticket.status_code == 201, ticket.text
    artifacts = client.get(f"/v1/runs/{run_id}/artifacts", headers=auth(token)).json()
    plan = client.get(f"/v1/runs/{run_id}/mapping", headers=auth(token)).json()["plan"]
    return {
        "token": token,
        "run_id": run_id,
        "hash": artifacts["artifacts"][-1]["hash"],
        "column": plan["columns"][0]["target"],
    }


def _get_routes(client: TestClient) -> list[str]:
    """The GET routes under /v1 as the app publishes them (its OpenAPI document)."""
    paths = client.get("/openapi.json").json()["paths"]
    return sorted(p for p, ops in paths.items() if "get" in ops and p.startswith("/v1/"))


def _fill(path: str, ids: dict[str, Any]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), path)


def test_every_get_route_is_checked(client: TestClient) -> None:
    """The parametrized test below covers the app's GET routes as they are, not a list that
    could go stale: every one with a path parameter is a tenant route or declared shared."""
    routes = _get_routes(client)
    with_params = [p for p in routes if "{" in p]
    assert set(with_params) - SHARED == set(TENANT_ROUTES), "classify the new GET route"
    assert len(with_params) >= 12


TENANT_ROUTES = [
    "/v1/artifacts/{hash}",
    "/v1/evals/{hash}",
    "/v1/runs/{run_id}",
    "/v1/runs/{run_id}/artifacts",
    "/v1/runs/{run_id}/ledger",
    "/v1/runs/{run_id}/mapping",
    "/v1/runs/{run_id}/mapping/{column}",
    "/v1/runs/{run_id}/migration",
    "/v1/runs/{run_id}/quarantine",
    "/v1/runs/{run_id}/state",
    "/v1/runs/{run_id}/summary",
    "/v1/runs/{run_id}/tickets",
]


@pytest.mark.parametrize("route", TENANT_ROUTES)
def test_other_tenants_objects_are_missing(
    route: str, client: TestClient, key: KeyMaker, tenant_a: dict[str, Any]
) -> None:
    path = _fill(route, tenant_a)
    mine = client.get(path, headers=auth(tenant_a["token"]))
    theirs = client.get(path, headers=auth(key("tenant-b", "admin")))
    if route != "/v1/evals/{hash}":  # A's artifact is not an eval report: 404 for A as well
        assert mine.status_code == 200, (path, mine.text)
    assert theirs.status_code == 404, (path, theirs.text)
    assert theirs.json()["code"] == "DETERMINISTIC_FAILURE"
    assert tenant_a["run_id"] not in theirs.text or "no run" in theirs.json()["message"]


def test_lists_leave_other_tenants_out(
    client: TestClient, key: KeyMaker, tenant_a: dict[str, Any]
) -> None:
    mine = client.get("/v1/runs", headers=auth(tenant_a["token"])).json()["runs"]
    theirs = client.get("/v1/runs", headers=auth(key("tenant-b", "admin"))).json()["runs"]
    assert tenant_a["run_id"] in [r["run_id"] for r in mine]
    assert tenant_a["run_id"] not in [r["run_id"] for r in theirs]
    assert all(r["tenant"] == "tenant-b" for r in theirs)


def test_writes_to_other_tenants_runs_are_missing(
    client: TestClient, key: KeyMaker, tenant_a: dict[str, Any]
) -> None:
    run_id, b = tenant_a["run_id"], auth(key("tenant-b", "admin"))
    for path, body in (
        (f"/v1/runs/{run_id}/stop", None),
        (f"/v1/runs/{run_id}/resume", {"decision": "accept"}),
        (f"/v1/runs/{run_id}/tickets", {"kind": "question", "subject": "hello?"}),
        (f"/v1/runs/{run_id}/migration/promote", None),
    ):
        assert client.post(path, json=body, headers=b).status_code == 404, path
    ledger = client.get(f"/v1/runs/{run_id}/ledger", headers=auth(tenant_a["token"])).json()
    assert [e["decision"] for e in ledger["events"]].count("escalate") == 1  # A's ticket only


def test_row_level_security_is_a_second_wall(db: Database, tenant_a: dict[str, Any]) -> None:
    """Without the API's tenant check (``tenant=None``), the database itself hides A's rows
    from B and refuses B's writes of A's tenant."""
    from sqlalchemy import text

    from core.errors import PolicyBlock
    from supervisor.runs import get_run

    run_id = tenant_a["run_id"]
    as_b = db.for_tenant("tenant-b")
    with pytest.raises(NotFoundError):
        get_run(as_b, run_id)
    assert get_run(db.for_tenant("tenant-a"), run_id).tenant_id == "tenant-a"
    with as_b.connect() as conn:
        for table in ("runs", "supervisor_ledger", "artifact_refs", "migration_runs"):
            seen = conn.execute(
                text(f"SELECT count(*) FROM {table} WHERE run_id = :r"), {"r": run_id}
            ).scalar()
            assert seen == 0, table
        others = "SELECT count(*) FROM api_keys WHERE tenant_id <> 'tenant-b'"
        assert conn.execute(text(others)).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM api_keys")).scalar() >= 1
    with as_b.begin() as conn:  # A's rows are not there to update
        moved = conn.execute(
            text("UPDATE runs SET tenant_id = 'tenant-b' WHERE tenant_id = 'tenant-a'")
        )
        assert moved.rowcount == 0
    with pytest.raises(PolicyBlock, match="row-level security"), as_b.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO supervisor_tickets (ticket_id, tenant_id, run_id, kind, subject,"
                " opened_by, opened_role)"
                " VALUES ('x', 'tenant-a', :r, 'question', 's', 'b', 'admin')"
            ),
            {"r": run_id},
        )
    with db.connect() as conn:  # the application's role sees A's run, unchanged
        owner = conn.execute(text("SELECT tenant_id FROM runs WHERE run_id = :r"), {"r": run_id})
        assert owner.scalar() == "tenant-a"
