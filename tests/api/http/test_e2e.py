"""Done-when 4 of issue 10, over real HTTP: `conduit serve` in its own process, an Analyst key
creates a data_mode run on the example, the run holds at its gates, an Operator key answers each
one, the MIGRATION stage stages the rows and the last accept promotes them; the artifacts the API
lists and the ledger it serves agree."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.canonical import content_hash
from core.settings import Settings
from tests.api.http.conftest import KeyMaker, example_contract
from tests.conftest import CONDUIT, ROOT, target_rows


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(settings: Settings, data_root: Path, cli_env: dict[str, str]) -> Iterator[str]:
    port = _free_port()
    env = cli_env | {"CONDUIT_DATA_ROOT": str(data_root)}
    env.pop("CONDUIT_REDIS_URL", None)  # lanes on threads in the server process
    log = (data_root / "serve.log").open("w")
    proc = subprocess.Popen(
        [str(CONDUIT), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            raise AssertionError("conduit serve did not answer /healthz in 60 s")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def _client(url: str, token: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def _next_hold(client: httpx.Client, run_id: str, after: int, timeout: float = 120) -> Any:
    """Wait until the run holds at a gate with more ledger events than ``after`` (a new hold),
    or ends; return (status, held, events)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = client.get(f"/v1/runs/{run_id}").json()
        events = run["decision_summary"]["event_count"] if run["decision_summary"] else 0
        if run["status"] in ("completed", "failed") or (run["status"] == "held" and events > after):
            held = client.get(f"/v1/runs/{run_id}/state").json().get("held")
            return run["status"], held, events
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} neither held again nor ended in {timeout} s")


@pytest.fixture
def clients(server: str, key: KeyMaker) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    """An Analyst's and an Operator's client of tenant e2e."""
    with (
        _client(server, key("e2e", "analyst", "ana.analyst")) as analyst,
        _client(server, key("e2e", "operator", "olga.operator")) as operator,
    ):
        yield analyst, operator


def test_data_mode_run_over_http(
    clients: tuple[httpx.Client, httpx.Client], data_root: Path
) -> None:
    analyst, operator = clients
    target = "e2e/bank.sqlite"
    doc = example_contract()
    doc["rhs"]["location"] = f"sqlite:///{target}"

    created = analyst.post("/v1/runs", json={"contract": doc}, headers={"Idempotency-Key": "e2e"})
    assert created.status_code == 201, created.text
    run_id = created.json()["run_id"]
    assert created.json()["actor"] == {"user_id": "ana.analyst", "role": "analyst"}
    assert created.headers["location"] == f"/v1/runs/{run_id}"

    status, held, events = _next_hold(analyst, run_id, after=0)
    assert status == "held" and held["stage"] == "ingest", held
    answered = []
    while status == "held":
        assert "accept" in held["allowed"]
        reply = operator.post(f"/v1/runs/{run_id}/resume", json={"decision": "accept"})
        assert reply.status_code == 202, reply.text
        assert reply.json()["actor"] == "olga.operator"
        answered.append(held["stage"])
        status, held, events = _next_hold(analyst, run_id, after=events)
    assert status == "completed", held
    assert answered == ["ingest", "domains", "mapping", "analysis", "migration"]

    migration = operator.get(f"/v1/runs/{run_id}/migration").json()
    assert migration["status"] == "promoted", migration
    assert target_rows(f"sqlite:///{data_root / target}") == 60

    # The artifacts and the ledger agree. Each stage's gate events name, as their input, the
    # hash of the stage's outputs; those outputs name the stage's artifacts by hash. So: every
    # artifact the API lists is named by the ledger (directly, or in a stage's outputs whose
    # hash a gate event carries), each one named reads back with its hash verified, and the
    # chain verifies.
    listed = analyst.get(f"/v1/runs/{run_id}/artifacts").json()["artifacts"]
    ledger = analyst.get(f"/v1/runs/{run_id}/ledger", params={"verify": True}).json()
    state = analyst.get(f"/v1/runs/{run_id}/state").json()
    assert ledger["verification"]["ok"] is True
    events_ = ledger["events"]
    named = {e[k] for e in events_ for k in ("inputs_hash", "outputs_hash") if e.get(k)}
    for stage in answered:
        outputs = state[stage]["outputs"]
        assert content_hash(outputs) in named, stage  # the gate saw exactly these outputs
        named |= {v for v in outputs.values() if isinstance(v, str) and len(v) == 64}
    hashes = {a["hash"] for a in listed}
    assert {a["kind"] for a in listed} >= {"run_contract", "catalog", "mapping_plan"}
    assert hashes <= named, {a["kind"] for a in listed if a["hash"] not in named}
    for digest in sorted(hashes):
        body = analyst.get(f"/v1/artifacts/{digest}")
        assert body.status_code == 200 and body.json()["hash"] == digest
    confirmed = {
        (e["stage"], e["human_confirmation"]["actor"])
        for e in events_
        if e["decision"] == "accept" and e["human_confirmation"].get("actor")
    }
    assert {stage for stage, _ in confirmed} == {s.upper() for s in answered}, confirmed
    assert all("olga.operator" in actor for _, actor in confirmed), confirmed
    assert any(e["stage"] == "MIGRATION" and e["decision"] == "accept" for e in events_)
    summary = analyst.get(f"/v1/runs/{run_id}/summary").json()["decision_summary"]
    assert summary["event_count"] == len(events_)

    # The analyst may not answer in an Operator's place where §32 says so: a retry of the same
    # create returns the same run (idempotency), and the run, finished, cannot be resumed.
    again = analyst.post("/v1/runs", json={"contract": doc}, headers={"Idempotency-Key": "e2e"})
    assert again.status_code == 200 and again.json()["run_id"] == run_id
    late = operator.post(f"/v1/runs/{run_id}/resume", json={"decision": "accept"})
    assert late.status_code == 400 and late.json()["code"] == "DETERMINISTIC_FAILURE"
    assert os.path.exists(data_root / "serve.log")
