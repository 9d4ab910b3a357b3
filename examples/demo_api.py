"""The HTTP half of `make demo`: drive the bundled example's run through the API and summarise it.

An Analyst key creates the run (the contract's paths rewritten relative to the server's data root,
the repository), a retry with the same Idempotency-Key returns the same run, and every gate the
run holds at is accepted by the demo actor ``demo.confirmer`` with an Operator key — shown as an
automatic confirmation here and recorded under that name on the ledger. Then it prints what the
stages decided, what the migration moved and held back, the artifacts with their hashes, and where
the rows went. Exits 1 when the run does not complete or its migration is not promoted.

    python examples/demo_api.py ready URL
    python examples/demo_api.py drive URL ANALYST_TOKEN OPERATOR_TOKEN
    python examples/demo_api.py summary URL TOKEN
"""

from __future__ import annotations

import sqlite3
import sys
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = "examples/bank_transactions"
TARGET = ".conduit/demo/bank.sqlite"


def contract() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((ROOT / EXAMPLE / "contract.yaml").read_text())
    doc.pop("rbac_actor")  # the API key's actor creates the run
    doc["lhs"]["location"] = f"{EXAMPLE}/{doc['lhs']['location']}"
    doc["rhs"]["location"] = f"sqlite:///{TARGET}"
    doc["rhs"]["schema_ref"] = f"{EXAMPLE}/{doc['rhs']['schema_ref']}"
    return doc


def wait(api: httpx.Client, run_id: str, events_before: int) -> dict[str, Any]:
    """The run once it holds again (more ledger events than before) or ends."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        run: dict[str, Any] = api.get(f"/v1/runs/{run_id}").raise_for_status().json()
        count = (run["decision_summary"] or {}).get("event_count", 0)
        if run["status"] in ("completed", "failed") or (
            run["status"] == "held" and count > events_before
        ):
            return run
        time.sleep(0.1)
    raise SystemExit(f"run {run_id} neither held nor ended in 300 s")


def drive(analyst: httpx.Client, operator: httpx.Client) -> str:
    body = {"contract": contract(), "start": True}
    headers = {"Idempotency-Key": "demo-bank-api-v1"}
    created = analyst.post("/v1/runs", json=body, headers=headers)
    if created.status_code >= 400:
        raise SystemExit(f"create failed: {created.json()}")
    run = created.json()
    print(f"POST /v1/runs -> {created.status_code}: run {run['run_id']} ({run['status']})")
    again = analyst.post("/v1/runs", json=body, headers=headers)
    print(f"POST /v1/runs again, same Idempotency-Key -> {again.status_code}: the same run")
    run_id = run["run_id"]
    if run["status"] in ("completed", "failed"):
        return run_id
    run = wait(analyst, run_id, 0)
    while run["status"] == "held":
        held = analyst.get(f"/v1/runs/{run_id}/state").json()["held"]
        print(f"  held at the {held['stage']} gate: {'; '.join(held['reasons'])[:110]}")
        reply = operator.post(f"/v1/runs/{run_id}/resume", json={"decision": "accept"})
        reply.raise_for_status()
        print("    accepted by demo.confirmer (operator), automatically, for this demo")
        run = wait(analyst, run_id, run["decision_summary"]["event_count"])
    print(f"run {run_id}: {run['status']}")
    return run_id


def summary(api: httpx.Client, run_id: str) -> int:
    ledger = api.get(f"/v1/runs/{run_id}/ledger", params={"verify": True}).json()
    print("\n== summary")
    print("stages and their decisions (from the ledger):")
    stages: dict[str, list[str]] = {}
    for e in ledger["events"]:
        who = e["human_confirmation"].get("actor")
        decision = f"{e['decision']} by {who}" if who else e["decision"]
        stages.setdefault(e["stage"], []).append(decision)
    for stage, decisions in stages.items():
        print(f"  {stage:<10} {' -> '.join(decisions)}")
    print("  (demo.confirmer is the demo's actor: it confirmed each held gate automatically)")
    check = ledger["verification"]
    verdict = "verified" if check["ok"] else "BROKEN"
    print(f"  hash chain: {verdict}, {check['events_checked']} events")
    migration = api.get(f"/v1/runs/{run_id}/migration").json()
    outcome = migration.get("outcome") or {}
    chunks = migration.get("chunks", [])
    moved = sum(c["rows_out"] or 0 for c in chunks)
    held = sum(c["quarantined"] or 0 for c in chunks)
    promotion = outcome.get("promotion") or {}
    print(
        f"migration: {migration['status']} ({migration['strategy'].upper()}), {len(chunks)} "
        f"chunk(s), {moved} rows migrated, {held} quarantined; promotion: "
        f"{promotion.get('mode', '-')} of {promotion.get('rows', 0)} rows"
    )
    print("artifacts:")
    for a in api.get(f"/v1/runs/{run_id}/artifacts").json()["artifacts"]:
        print(f"  {a['kind']:<20} v{a['version']}  sha256:{a['hash']}")
    path = ROOT / TARGET
    with closing(sqlite3.connect(path)) as conn:
        rows = conn.execute("SELECT count(*) FROM bank_transaction").fetchone()[0]
    print(f"target: {path} (SQLite), table bank_transaction: {rows} rows")
    return 0 if migration["status"] in ("promoted", "noop") and check["ok"] else 1


def ready(url: str) -> int:
    """Wait for the server to answer /healthz, then print its /readyz."""
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            print("conduit serve did not answer in 60 s", file=sys.stderr)
            return 1
        time.sleep(0.1)
    r = httpx.get(f"{url}/readyz", timeout=10).json()
    print("GET /readyz:", r["status"], {k: v["detail"] for k, v in r["checks"].items()})
    return 0


def main(command: str, url: str, *tokens: str) -> int:
    if command == "ready":
        return ready(url)

    def client(token: str) -> httpx.Client:
        return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60)

    with client(tokens[0]) as analyst:
        if command == "summary":
            return summary(analyst, (ROOT / ".conduit" / "demo" / "last_run").read_text())
        with client(tokens[1]) as operator:
            run_id = drive(analyst, operator)
        (ROOT / ".conduit" / "demo" / "last_run").write_text(run_id)  # for demo.sh
        status = analyst.get(f"/v1/runs/{run_id}").json()["status"]
        if status != "completed":
            print(f"the run ended {status}, not completed", file=sys.stderr)
            return 1
        return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
