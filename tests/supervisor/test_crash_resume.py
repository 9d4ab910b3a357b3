"""A run process killed with SIGKILL in the middle of a large ingest, or while it waits at a held
gate, continues from its last checkpoint with ``conduit runs resume``; every stage completes
once on the ledger."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from core.db import Database
from ledger.store import PostgresLedger
from tests.conftest import CONDUIT, LENIENT_PROFILE, ROOT, target_rows

EXAMPLE = ROOT / "examples" / "bank_transactions" / "contract.yaml"


def _example(target: str) -> dict[str, Any]:
    """The example contract, runnable from any folder, with a Domains gate that does not hold
    for borderline columns (these tests are about crashes, not domaining), migrating into
    ``target`` (the test's own)."""
    doc: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
    doc["rhs"]["schema_ref"] = str(EXAMPLE.parent / doc["rhs"]["schema_ref"])
    doc["rhs"]["location"] = target
    doc["threshold_profile_id"] = LENIENT_PROFILE
    return doc


def _big_source(folder: Path) -> Path:
    rows = 1_500_000
    i = pl.int_range(0, rows, eager=True)
    pl.DataFrame(
        {
            "txn_id": (i + 10_000_000).cast(pl.Utf8),
            "posted_date": pl.Series(["2026-05-04", "2026-06-01"] * (rows // 2)),
            "amount": (i * 7919 % 500_000 / 100).cast(pl.Utf8),
            "payee_email": pl.Series(["ana@example.org", "bo@example.org"] * (rows // 2)),
        }
    ).write_csv(folder / "big.csv")
    return folder / "big.csv"


def _status(db: Database, run_id: str) -> str:
    from supervisor.runs import get_run

    return get_run(db, run_id).status


def test_sigkill_during_ingest_then_resume(
    tmp_path: Path,
    db: Database,
    cli_env: dict[str, str],
    lenient_profile: str,
    sqlite_target: str,
) -> None:
    source = _big_source(tmp_path)
    doc = _example(sqlite_target)
    doc.update(
        lhs={"source": {"type": "file"}, "location": str(source)}, human_confirm_required=False
    )
    contract = tmp_path / "contract.yaml"
    contract.write_text(yaml.safe_dump(doc))
    created = subprocess.run(
        [str(CONDUIT), "runs", "create", "--contract", str(contract), "--json"],
        env=cli_env,
        capture_output=True,
        text=True,
        check=True,
    )
    run_id = json.loads(created.stdout)["run_id"]

    process = subprocess.Popen(
        [str(CONDUIT), "runs", "start", run_id, "--base", str(tmp_path)],
        env=cli_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while _status(db, run_id) != "running":  # the supervisor node is done: Ingest is under way
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.3)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert _status(db, run_id) == "running"  # killed before the end

    done = subprocess.run(
        [str(CONDUIT), "runs", "resume", run_id, "--base", str(tmp_path), "--json"],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "completed"
    with db.connect() as conn:
        events = [(e.stage, e.decision) for e in PostgresLedger(conn).events(run_id)]
    # creation, lane, completion: once each; the step and its gate: once each
    # Migration: one event per chunk of 50000 rows, its gate, the promotion
    chunks = 1_500_000 // 50_000
    assert events == [("SUPERVISOR", "accept")] * 2 + [("INGEST", "accept")] * 2 + [
        ("DOMAINS", "accept")
    ] * 2 + [("MAPPING", "accept")] * 2 + [("ANALYSIS", "accept")] * 2 + [
        ("MIGRATION", "accept")
    ] * (chunks + 2) + [("SUPERVISOR", "accept")]
    assert target_rows(sqlite_target) == 1_500_000


def test_sigkill_while_following_a_held_gate_then_resume(
    tmp_path: Path,
    db: Database,
    cli_env: dict[str, str],
    lenient_profile: str,
    sqlite_target: str,
) -> None:
    """``runs create --follow`` waits at the held gate; killing it loses nothing, and the
    decisions given afterwards complete the run."""
    doc = _example(sqlite_target)
    doc["lhs"]["location"] = str(EXAMPLE.parent / "transactions.csv")
    doc["audit_tags"] = ["held-gate-kill"]
    contract = tmp_path / "contract.yaml"
    contract.write_text(yaml.safe_dump(doc))
    process = subprocess.Popen(
        [str(CONDUIT), "runs", "create", "--contract", str(contract), "--follow"],
        env=cli_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    first = process.stdout.readline()  # "run <id> created"
    run_id = first.split()[1]
    deadline = time.monotonic() + 60
    lines = []
    while not any("waiting for a decision" in line for line in lines):
        assert process.poll() is None and time.monotonic() < deadline, lines
        lines.append(process.stdout.readline())
    assert _status(db, run_id) == "held"
    assert any("held at the ingest gate" in line for line in lines)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    process.stdout.close()

    def accept() -> str:
        done = subprocess.run(
            [
                *(str(CONDUIT), "runs", "resume", run_id, "--decision", "accept"),
                *("--actor", "ana.analyst", "--role", "analyst", "--json"),
            ],
            env=cli_env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return str(json.loads(done.stdout)["status"])

    assert accept() == "held"  # the domains gate asks for confirmation in its turn
    assert accept() == "held"  # and the mapping gate
    assert accept() == "held"  # and the analysis gate
    assert target_rows(sqlite_target) is None  # nothing migrates before Analysis is accepted
    assert accept() == "held"  # and the migration gate
    assert target_rows(sqlite_target) == 0  # staged; promoted only once confirmed
    assert accept() == "completed"
    assert target_rows(sqlite_target) == 60
    with db.connect() as conn:
        events = [(e.stage, e.decision) for e in PostgresLedger(conn).events(run_id)]
    assert events == [
        ("SUPERVISOR", "accept"),  # created
        ("SUPERVISOR", "accept"),  # lane and budgets
        ("INGEST", "accept"),  # the step
        ("INGEST", "hold"),  # the gate holds
        ("INGEST", "accept"),  # a person accepts
        ("DOMAINS", "accept"),  # the step
        ("DOMAINS", "hold"),  # the gate holds for confirmation
        ("DOMAINS", "accept"),  # a person accepts
        ("MAPPING", "accept"),  # the step
        ("MAPPING", "hold"),  # the gate holds for confirmation
        ("MAPPING", "accept"),  # a person accepts
        ("ANALYSIS", "accept"),  # the step
        ("ANALYSIS", "hold"),  # the gate holds for confirmation
        ("ANALYSIS", "accept"),  # a person accepts
        ("MIGRATION", "accept"),  # the one chunk, staged
        ("MIGRATION", "hold"),  # the gate holds for confirmation
        ("MIGRATION", "accept"),  # a person accepts
        ("MIGRATION", "accept"),  # the promotion
        ("SUPERVISOR", "accept"),  # completed
    ]
