"""The run graph on the embedded store: supervisor -> Ingest -> gate, held and resumed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from core.db import Database
from core.errors import ContractError, PolicyBlock
from ledger.store import PostgresLedger
from policy.manifest import current_manifest
from supervisor.graph import GraphContext, resume_run, start_run
from supervisor.runs import create_run, get_run

EXAMPLE = Path(__file__).parents[2] / "examples" / "bank_transactions" / "contract.yaml"


def _ctx(db: Database) -> GraphContext:
    return GraphContext(db=db, manifest=current_manifest(), pii_key=b"k" * 32, base=EXAMPLE.parent)


def _run(db: Database, **changes: Any) -> str:
    doc: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
    doc.update(changes)
    return create_run(db, doc).run.run_id


def _events(db: Database, run_id: str) -> list[tuple[str, str]]:
    with db.connect() as conn:
        return [(e.stage, e.decision) for e in PostgresLedger(conn).events(run_id)]


def test_a_run_without_confirmation_goes_through(db: Database) -> None:
    run_id = _run(db, human_confirm_required=False)
    state = start_run(_ctx(db), run_id)
    assert state["status"] == "completed" and state["lane"] == "interactive"
    assert state["ingest"]["rows"] == 60
    assert get_run(db, run_id).status == "completed"
    events = _events(db, run_id)
    assert events.count(("SUPERVISOR", "accept")) == 2  # creation, lane
    assert events.count(("INGEST", "accept")) == 2  # the step, the gate


def test_a_held_gate_waits_for_a_person_and_resumes_once(db: Database) -> None:
    run_id = _run(db, human_confirm_required=True)
    ctx = _ctx(db)
    state = start_run(ctx, run_id)
    assert "status" not in state and get_run(db, run_id).status == "held"
    assert _events(db, run_id).count(("INGEST", "accept")) == 1  # the step; the gate waits
    again = start_run(ctx, run_id)  # starting a held run again changes nothing
    assert "status" not in again
    with pytest.raises(PolicyBlock):
        resume_run(ctx, run_id, decision="accept", actor="vic", role="viewer")
    with pytest.raises(ContractError):
        resume_run(ctx, run_id, decision="maybe", actor="ana", role="analyst")
    done = resume_run(ctx, run_id, decision="accept", actor="ana", role="analyst")
    assert done["status"] == "completed" and get_run(db, run_id).status == "completed"
    with db.connect() as conn:
        gates = [
            e
            for e in PostgresLedger(conn).events(run_id)
            if e.stage == "INGEST" and e.human_confirmation.required
        ]
    assert len(gates) == 1 and gates[0].human_confirmation.actor == "ana"
    with pytest.raises(ContractError):
        resume_run(ctx, run_id, decision="accept", actor="ana", role="analyst")
    assert _events(db, run_id).count(("INGEST", "accept")) == 2


def test_a_rejected_gate_stops_the_run(db: Database) -> None:
    run_id = _run(db, human_confirm_required=True)
    ctx = _ctx(db)
    start_run(ctx, run_id)
    state = resume_run(ctx, run_id, decision="reject", actor="ana", role="analyst")
    assert state["status"] == "stopped:reject"
    assert ("INGEST", "reject") in _events(db, run_id)


def test_a_sql_source_goes_through_the_graph(db: Database, tmp_path: Path) -> None:
    """An SQLite file named by an ``env:`` location: cataloged and sampled, read-only."""
    import sqlite3

    source = tmp_path / "crm.db"
    with sqlite3.connect(source) as conn:
        conn.execute("CREATE TABLE contacts (id INTEGER PRIMARY KEY, email TEXT, city TEXT)")
        conn.executemany(
            "INSERT INTO contacts VALUES (?, ?, ?)",
            [(i, f"person{i}@example.org", "Lyon") for i in range(40)],
        )
    run_id = _run(
        db,
        lhs={"source": {"type": "sql"}, "location": "env:CRM_URL"},
        human_confirm_required=False,
    )
    ctx = GraphContext(
        db=db,
        manifest=current_manifest(),
        pii_key=b"k" * 32,
        base=tmp_path,
        env={"CRM_URL": f"sqlite:///{source}"},
    )
    state = start_run(ctx, run_id)
    assert state["status"] == "completed" and state["ingest"]["rows"] == 40
    from artifacts.store import PostgresArtifactStore

    with db.connect() as conn:
        store = PostgresArtifactStore(conn)
        catalog = store.get(state["ingest"]["catalog"]).body
        sample = store.get(state["ingest"]["sample"]).body
    [table] = catalog["tables"]
    assert table["source"]["table"] == "contacts" and table["source"]["primary_key"] == ["id"]
    emails = sample["tables"][0]["columns"]["email"]
    assert emails and not any("@example.org" in str(v) for v in emails)


def test_an_unset_env_location_is_refused(db: Database, tmp_path: Path) -> None:
    run_id = _run(
        db,
        lhs={"source": {"type": "sql"}, "location": "env:NOT_SET_ANYWHERE"},
        human_confirm_required=False,
    )
    with pytest.raises(ContractError) as info:
        start_run(_ctx(db), run_id)
    assert "NOT_SET_ANYWHERE" in info.value.message


def _checkpoints(db: Database, run_id: str) -> int:
    from sqlalchemy import text

    with db.connect() as conn:
        return int(
            conn.execute(
                text("SELECT count(*) FROM checkpoints WHERE thread_id = :t"), {"t": run_id}
            ).scalar_one()
        )


def test_checkpoints_of_finished_runs_are_pruned(db: Database) -> None:
    from supervisor.graph import prune_checkpoints

    done = _run(db, human_confirm_required=False)
    held = _run(db, human_confirm_required=True)
    start_run(_ctx(db), done)
    start_run(_ctx(db), held)
    before_held = _checkpoints(db, held)
    assert _checkpoints(db, done) > 1
    assert prune_checkpoints(db) >= 1
    assert _checkpoints(db, done) == 1  # the last one is kept
    assert _checkpoints(db, held) == before_held  # a held run keeps everything
    resume_run(_ctx(db), held, decision="accept", actor="ana", role="analyst")
    prune_checkpoints(db, delete=True)
    assert _checkpoints(db, done) == 0 and _checkpoints(db, held) == 0
