"""Mapping and Analysis inside a real run: seeded defects in the source stop the run at the
analysis gate with their recommended fixes, the artifacts are on the ledger, and a person's
decision lets the run finish."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml

from artifacts.store import PostgresArtifactStore
from core.db import Database
from ledger.store import PostgresLedger
from policy.manifest import current_manifest
from supervisor.graph import GraphContext, resume_run, start_run
from supervisor.runs import create_run
from tests.conftest import target_rows

EXAMPLE = Path(__file__).parents[2] / "examples" / "bank_transactions" / "contract.yaml"


def _source(folder: Path) -> Path:
    future = (dt.date.today() + dt.timedelta(days=400)).strftime("%m/%d/%Y")
    lines = ["Transaction ID,Posted Date,Description,Amount,Currency"]
    for i in range(40):
        txn = f"TXN-{i % 30:04d}"  # ten ids repeat: duplicate keys
        posted = future if i % 8 == 0 else f"03/{i % 28 + 1:02d}/2026"  # five future dates
        lines.append(f'{txn},{posted},CARD PURCHASE {i},"${100 + i}.50",USD')
    path = folder / "transactions.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _run(db: Database, tmp_path: Path, lenient_profile: str, target: str) -> str:
    doc: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
    doc["threshold_profile_id"] = lenient_profile
    doc["human_confirm_required"] = False
    doc["lhs"]["location"] = str(_source(tmp_path))
    doc["rhs"]["schema_ref"] = str(EXAMPLE.parent / doc["rhs"]["schema_ref"])
    doc["rhs"]["location"] = target  # the test's own migration target
    return create_run(db, doc).run.run_id


def test_seeded_defects_hold_the_run_at_analysis_with_fixes(
    db: Database, tmp_path: Path, lenient_profile: str, sqlite_target: str
) -> None:
    run_id = _run(db, tmp_path, lenient_profile, sqlite_target)
    ctx = GraphContext(db=db, manifest=current_manifest(), pii_key=b"k" * 32, base=tmp_path)
    state = start_run(ctx, run_id)
    assert state["status"] == "held" and state["held"]["stage"] == "analysis"
    assert state["decisions"]["mapping"] == "accept"  # the mapping itself is fine
    with db.connect() as conn:
        store = PostgresArtifactStore(conn)
        plan = store.get(state["mapping"]["outputs"]["plan"]).body
        report = store.get(state["analysis"]["outputs"]["report"]).body
        events = [
            (e.stage, e.decision, e.outputs_hash) for e in PostgresLedger(conn).events(run_id)
        ]
    mapped = {c["target"]: c for c in plan["columns"]}
    assert mapped["txn_id"]["sources"] == ["Transaction ID"]
    assert mapped["payee_name"]["decision"] == "unmapped"  # the source has no payee
    codes = {a["code"]: a for a in report["anomalies"] if a["severity"] == "fail"}
    assert {"duplicate_keys", "future_dates"} <= set(codes)
    assert codes["duplicate_keys"]["recommended_fix"]["kind"] in ("composite_key", "deduplicate")
    assert "%d" in str(codes["future_dates"]["recommended_fix"])  # try the day-first reading
    # Both artifacts are what the ledger says each step produced.
    assert ("MAPPING", "accept", state["mapping"]["outputs"]["plan"]) in events
    assert ("ANALYSIS", "accept", state["analysis"]["outputs"]["report"]) in events
    assert events[-1][:2] == ("ANALYSIS", "hold")
    done = resume_run(ctx, run_id, decision="accept", actor="ana", role="analyst")
    # accepted as they are: Migration quarantines the rows that fail (the repeated ids, the
    # future dates) and promotes the rest into the run's own target
    assert done["status"] == "completed" and done["decisions"]["migration"] == "accept"
    metrics = done["migration"]["metrics"]
    assert (metrics["staged"], metrics["quarantined"]) == (20, 20)
    assert target_rows(sqlite_target) == 20
