"""MIGRATION as the last stage of the graph: a data_mode run migrates after an accepted Analysis
gate and promotes once the migration gate accepts (as the person who accepted); a metadata_only
run has no migration stage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from core.db import Database
from ledger.store import PostgresLedger
from policy.manifest import current_manifest
from specialists.migration import store
from supervisor.graph import GraphContext, RunState, resume_run, start_run
from supervisor.runs import create_run
from tests.conftest import target_rows

EXAMPLE = Path(__file__).parents[2] / "examples" / "bank_transactions" / "contract.yaml"


@pytest.fixture(autouse=True)
def _lenient(lenient_profile: str) -> None:
    """These tests are about the stages' order, not domaining: the Domains gate does not hold."""


def _ctx(db: Database) -> GraphContext:
    return GraphContext(db=db, manifest=current_manifest(), pii_key=b"m" * 32, base=EXAMPLE.parent)


def _run(db: Database, target: str, profile: str, **changes: Any) -> str:
    doc: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
    doc["threshold_profile_id"] = profile
    doc["rhs"]["schema_ref"] = str(EXAMPLE.parent / doc["rhs"]["schema_ref"])
    doc["rhs"]["location"] = target
    doc.update(changes)
    return create_run(db, doc).run.run_id


def _stages(db: Database, run_id: str) -> list[tuple[str, str]]:
    with db.connect() as conn:
        return [(e.stage, e.decision) for e in PostgresLedger(conn).events(run_id)]


def _accept(ctx: GraphContext, state: RunState, role: str, until: str | None = None) -> RunState:
    """Accept each held gate (as ``pat`` in ``role``) until the run ends or holds at ``until``."""
    while state["status"] == "held" and state["held"]["stage"] != until:
        state = resume_run(ctx, state["run_id"], decision="accept", actor="pat", role=role)
    return state


def test_a_data_mode_run_migrates_after_analysis_and_promotes(
    db: Database, lenient_profile: str, sqlite_target: str
) -> None:
    ctx = _ctx(db)
    run_id = _run(db, sqlite_target, lenient_profile, human_confirm_required=True)
    state = _accept(ctx, start_run(ctx, run_id), "analyst", until="analysis")
    assert state["status"] == "held" and state["held"]["stage"] == "analysis"
    # nothing migrates before the Analysis gate accepts
    assert "migration" not in state and store.latest_migration(db, run_id) is None
    assert target_rows(sqlite_target) is None

    state = resume_run(ctx, run_id, decision="accept", actor="pat", role="analyst")
    assert state["status"] == "held" and state["held"]["stage"] == "migration"
    assert state["decisions"]["analysis"] == "accept"
    assert state["held"]["reasons"][0] == "60 rows staged, 0 unchanged (no-op), 0 quarantined"
    assert state["migration"]["metrics"]["valid"] is True
    assert target_rows(sqlite_target) == 0  # staged and validated; promoted only on accept

    done = resume_run(ctx, run_id, decision="accept", actor="pat", role="analyst")
    assert done["status"] == "completed" and done["decisions"]["migration"] == "accept"
    assert done["migration"]["after_accept"]["promotion"]["rows"] == 60
    assert target_rows(sqlite_target) == 60
    assert store.latest_migration(db, run_id)["status"] == "promoted"  # type: ignore[index]
    events = _stages(db, run_id)
    analysis_accepted = events.index(("ANALYSIS", "accept"), events.index(("ANALYSIS", "hold")))
    assert events[analysis_accepted + 1 :] == [
        ("MIGRATION", "accept"),  # the one chunk
        ("MIGRATION", "hold"),  # the gate asks for confirmation
        ("MIGRATION", "accept"),  # pat accepts
        ("MIGRATION", "accept"),  # the promotion
        ("SUPERVISOR", "accept"),  # completed
    ]
    with db.connect() as conn:
        promotion = PostgresLedger(conn).events(run_id)[-2]
    assert promotion.human_confirmation.actor == "pat"  # promoted as the person who accepted


def test_promoting_into_a_table_with_rows_needs_an_operator(
    db: Database, lenient_profile: str, sqlite_target: str
) -> None:
    ctx = _ctx(db)
    first = _run(db, sqlite_target, lenient_profile, human_confirm_required=False)
    assert start_run(ctx, first)["status"] == "completed"  # the contract's analyst: a new table
    assert target_rows(sqlite_target) == 60

    run_id = _run(db, sqlite_target, lenient_profile, human_confirm_required=True)
    state = _accept(ctx, start_run(ctx, run_id), "analyst", until="migration")
    assert state["status"] == "held" and state["held"]["stage"] == "migration"
    failed = resume_run(ctx, run_id, decision="accept", actor="pat", role="analyst")
    assert failed["status"] == "failed" and failed["error"]["code"] == "POLICY_BLOCK"
    assert "may not approve destructive" in failed["error"]["message"]
    assert store.latest_migration(db, run_id)["status"] != "promoted"  # type: ignore[index]
    assert target_rows(sqlite_target) == 60

    # started again, the failed run goes through its gates once more; an Operator promotes
    done = _accept(ctx, start_run(ctx, run_id), "operator")
    assert done["status"] == "completed" and done["decisions"]["migration"] == "accept"
    assert "promotion" in done["migration"]["after_accept"]
    assert target_rows(sqlite_target) == 60  # the same rows: an upsert of what was there


def test_a_metadata_only_run_has_no_migration_stage(
    db: Database, lenient_profile: str, sqlite_target: str
) -> None:
    run_id = _run(
        db, sqlite_target, lenient_profile, mode="metadata_only", human_confirm_required=False
    )
    state = start_run(_ctx(db), run_id)
    assert state["status"] == "completed"
    assert list(state["decisions"]) == ["ingest", "domains", "mapping", "analysis"]
    assert "migration" not in state
    assert "MIGRATION" not in {stage for stage, _ in _stages(db, run_id)}
    assert store.latest_migration(db, run_id) is None and target_rows(sqlite_target) is None
