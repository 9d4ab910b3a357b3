"""HTTP semantics of the API: keys and roles, the one error body, strong ETags, idempotency keys,
per-key rate limits (Redis and in-process), the headers naming what a response used, metrics
and request spans."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.http.errors import ErrorBody
from core.db import Database
from core.settings import Settings
from tests.api.http.conftest import KeyMaker, auth, example_contract, make_app


def _error(response: Any, status: int, code: str) -> ErrorBody:
    assert response.status_code == status, response.text
    body = ErrorBody.model_validate(response.json())
    assert body.code == code and body.detail_id and "Traceback" not in response.text
    return body


def _create(client: TestClient, token: str, key: str | None = None, **changes: Any) -> Any:
    headers = auth(token) | ({"Idempotency-Key": key} if key else {})
    return client.post(
        "/v1/runs", json={"contract": example_contract(**changes), "start": False}, headers=headers
    )


def test_keys_are_required_and_checked(client: TestClient, db: Database) -> None:
    from supervisor.keys import create_key, revoke_key

    _error(client.get("/v1/runs"), 401, "POLICY_BLOCK")
    _error(client.get("/v1/runs", headers=auth("cdt_nothex______" + "x" * 43)), 401, "POLICY_BLOCK")
    key, token = create_key(db, tenant="keys", actor="kim", role="viewer")
    wrong = token[:-1] + ("A" if token[-1] != "A" else "B")
    _error(client.get("/v1/runs", headers=auth(wrong)), 401, "POLICY_BLOCK")
    revoke_key(db, key.key_id)  # before its first use: not in the API's cache
    _error(client.get("/v1/runs", headers=auth(token)), 401, "POLICY_BLOCK")
    with db.connect() as conn:
        from sqlalchemy import text

        stored = conn.execute(
            text("SELECT secret_hash FROM api_keys WHERE key_id = :k"), {"k": key.key_id}
        ).scalar()
    assert stored is not None and token.split("_")[-1] not in stored  # only the hash is kept


def test_roles_are_checked_through_the_policy_engine(client: TestClient, key: KeyMaker) -> None:
    viewer = key("roles", "viewer")
    body = _error(_create(client, viewer), 403, "POLICY_BLOCK")
    assert "viewer" in body.message
    created = _create(client, key("roles", "analyst"))
    assert created.status_code == 201, created.text
    run_id = created.json()["run_id"]
    assert client.get(f"/v1/runs/{run_id}", headers=auth(viewer)).status_code == 200
    _error(client.post(f"/v1/runs/{run_id}/stop", headers=auth(viewer)), 403, "POLICY_BLOCK")
    _error(
        client.get(f"/v1/runs/{run_id}/quarantine", headers=auth(key("roles", "analyst"))),
        403,
        "POLICY_BLOCK",
    )
    _error(
        client.post(
            "/v1/profiles/tp_default_v2/tune",
            json={"changes": {"analysis": {"null_rate_max": 0.05}}},
            headers=auth(key("roles", "analyst")),
        ),
        403,
        "POLICY_BLOCK",
    )
    stopped = client.post(f"/v1/runs/{run_id}/stop", headers=auth(key("roles", "analyst")))
    assert stopped.status_code == 200 and stopped.json()["status"] == "stopped"
    again = client.post(f"/v1/runs/{run_id}/start", headers=auth(key("roles", "analyst")))
    _error(again, 400, "DETERMINISTIC_FAILURE")


def test_the_contract_is_the_keys_and_stays_in_the_data_root(
    client: TestClient, key: KeyMaker
) -> None:
    token = key("where", "analyst", "al")
    other = {"user_id": "someone.else", "role": "admin"}
    _error(_create(client, token, rbac_actor=other), 403, "POLICY_BLOCK")
    for lhs in ("../../etc/passwd", "/etc/passwd"):
        outside = _create(client, token, lhs={"source": {"type": "file"}, "location": lhs})
        assert "outside the server's data root" in _error(outside, 403, "POLICY_BLOCK").message
    target = {"source": {"type": "sql"}, "location": "sqlite:////tmp/x.db", "schema_ref": "t.yaml"}
    _error(_create(client, token, rhs=target), 403, "POLICY_BLOCK")
    leak = {"source": {"type": "sql"}, "location": "env:CONDUIT_DATABASE_URL"}
    _error(_create(client, token, lhs=leak), 403, "POLICY_BLOCK")


def test_idempotency_keys_are_per_tenant(client: TestClient, key: KeyMaker) -> None:
    a, b = key("idem-a", "analyst"), key("idem-b", "analyst")
    first = _create(client, a, "same-key")
    again = _create(client, a, "same-key")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["run_id"] == again.json()["run_id"]
    changed = _create(client, a, "same-key", audit_tags=["other"])
    assert "audit_tags" in _error(changed, 400, "DETERMINISTIC_FAILURE").message
    theirs = _create(client, b, "same-key")
    assert theirs.status_code == 201 and theirs.json()["run_id"] != first.json()["run_id"]


def test_strong_etags_and_version_headers(client: TestClient, key: KeyMaker) -> None:
    token = key("etag", "analyst")
    run = _create(client, token).json()
    path = f"/v1/runs/{run['run_id']}"
    first = client.get(path, headers=auth(token))
    tag = first.headers["etag"]
    assert re.fullmatch(r'"[0-9a-f]{64}"', tag)
    assert first.headers["x-conduit-policy-version"] == run["policy_version"]
    assert re.fullmatch(r"[0-9a-f]{64}", first.headers["x-conduit-policy-hash"])
    assert first.headers["x-conduit-artifact-hashes"] == run["contract_hash"]
    cached = client.get(path, headers=auth(token) | {"If-None-Match": tag})
    assert cached.status_code == 304 and cached.content == b"" and cached.headers["etag"] == tag
    client.post(f"{path}/stop", headers=auth(token))
    changed = client.get(path, headers=auth(token) | {"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["etag"] != tag
    artifact = client.get(f"/v1/artifacts/{run['contract_hash']}", headers=auth(token))
    assert artifact.json()["body"]["mode"] == "data_mode"
    again = {"If-None-Match": artifact.headers["etag"]}
    assert (
        client.get(f"/v1/artifacts/{run['contract_hash']}", headers=auth(token) | again).status_code
        == 304
    )


def test_framework_errors_have_the_same_body(client: TestClient, key: KeyMaker) -> None:
    token = key("errors", "analyst")
    _error(client.get("/v1/nothing", headers=auth(token)), 404, "DETERMINISTIC_FAILURE")
    _error(client.delete("/v1/runs", headers=auth(token)), 405, "DETERMINISTIC_FAILURE")
    bad = client.post(
        "/v1/runs", content=b"{not json", headers=auth(token) | {"content-type": "application/json"}
    )
    _error(bad, 400, "DETERMINISTIC_FAILURE")
    _error(client.get("/v1/runs/not-a-ulid", headers=auth(token)), 404, "DETERMINISTIC_FAILURE")
    _error(client.get("/v1/artifacts/zz", headers=auth(token)), 404, "DETERMINISTIC_FAILURE")


@pytest.fixture(params=["redis", "local"])
def limited(
    request: pytest.FixtureRequest,
    settings: Settings,
    db: Database,
    data_root: Path,
    http_env: None,
) -> Iterator[tuple[TestClient, str]]:
    """An app whose keys get 3 requests and then one every 10 s: its buckets in the machine's
    Redis, or (Redis configured but down) in this process."""
    url = (
        request.getfixturevalue("redis_url")
        if request.param == "redis"
        else "redis://127.0.0.1:1/0"
    )
    app = make_app(settings, db, data_root, rate=0.1, burst=3, redis_url=url)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c, request.param


def test_rate_limits_per_key(limited: tuple[TestClient, str], db: Database) -> None:
    from supervisor.keys import create_key

    client, backend = limited
    one = create_key(db, tenant="limits", actor="a", role="viewer")[1]
    two = create_key(db, tenant="limits", actor="b", role="viewer")[1]
    assert [client.get("/v1/runs", headers=auth(one)).status_code for _ in range(3)] == [200] * 3
    refused = client.get("/v1/runs", headers=auth(one))
    body = _error(refused, 429, "RATE_LIMIT")
    assert 1 <= int(refused.headers["retry-after"]) <= 10 and "retry in" in body.message
    assert client.get("/v1/runs", headers=auth(two)).status_code == 200  # a bucket per key
    ready = client.get("/readyz").json()
    assert ready["rate_limits"] == backend


def test_metrics_and_request_spans(client: TestClient, key: KeyMaker, span_exporter: Any) -> None:
    token = key("observe", "analyst")
    run_id = _create(client, token).json()["run_id"]
    assert client.get(f"/v1/runs/{run_id}", headers=auth(token)).status_code == 200
    spans = [s for s in span_exporter.get_finished_spans() if s.name == "GET /v1/runs/{run_id}"]
    assert spans, [s.name for s in span_exporter.get_finished_spans()]
    attrs = spans[-1].attributes
    assert attrs["conduit.run_id"] == run_id and attrs["http.status_code"] == 200
    assert attrs["conduit.tenant"] == "observe"
    text = client.get("/metrics").text
    assert re.search(
        r'conduit_http_request_duration_seconds_count\{method="GET",route="/v1/runs/\{run_id\}",'
        r'status="200"\} [1-9]',
        text,
    )
    assert 'conduit_queue_depth{lane="batch"}' in text
    assert client.get("/v1/runs/x").status_code == 401  # no key
    errors = client.get("/metrics").text
    found = r'conduit_http_errors_total\{code="POLICY_BLOCK",route="/v1/runs/\{run_id\}"\} [1-9]'
    assert re.search(found, errors), errors


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["database"]["ok"] is True
    assert set(ready.json()["queue_depth"]) == {"interactive", "flex", "batch"}


def test_keys_cli(cli: Any) -> None:
    import json

    made = cli("keys", "create", "--tenant", "cli", "--role", "operator", "--actor", "op", "--json")
    assert made.returncode == 0, made.stderr
    key = json.loads(made.stdout)
    assert key["token"].startswith(f"cdt_{key['key_id']}_") and key["role"] == "operator"
    listed = json.loads(cli("keys", "list", "--tenant", "cli", "--json").stdout)
    assert [k["key_id"] for k in listed] == [key["key_id"]] and "token" not in listed[0]
    revoked = json.loads(cli("keys", "revoke", key["key_id"], "--json").stdout)
    assert revoked["revoked_at"]
    bad = cli("keys", "create", "--tenant", "cli", "--role", "root", "--actor", "x")
    assert bad.returncode == 17 and "role must be one of" in bad.stderr
