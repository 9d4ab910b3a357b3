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
from tests.conftest import LENIENT_PROFILE, target_rows

EXAMPLE = Path(__file__).parents[2] / "examples" / "bank_transactions" / "contract.yaml"


@pytest.fixture(autouse=True)
def _lenient(lenient_profile: str) -> None:
    """These tests are about the graph, not domaining: the Domains gate does not hold."""


def _ctx(db: Database) -> GraphContext:
    return GraphContext(db=db, manifest=current_manifest(), pii_key=b"k" * 32, base=EXAMPLE.parent)


def _run(db: Database, target: str, **changes: Any) -> str:
    """A run on the example contract that migrates into ``target`` (the test's own)."""
    doc: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
    doc["threshold_profile_id"] = LENIENT_PROFILE
    doc["rhs"]["schema_ref"] = str(EXAMPLE.parent / doc["rhs"]["schema_ref"])
    doc["rhs"]["location"] = target
    doc.update(changes)
    return create_run(db, doc).run.run_id


def _events(db: Database, run_id: str) -> list[tuple[str, str]]:
    with db.connect() as conn:
        return [(e.stage, e.decision) for e in PostgresLedger(conn).events(run_id)]


def _decisions(db: Database, run_id: str, stage: str) -> list[str]:
    return [d for s, d in _events(db, run_id) if s == stage]


def _accept_held(ctx: GraphContext, state: dict[str, Any]) -> dict[str, Any]:
    """Accept every gate the run holds at until it ends."""
    while state["status"] == "held":
        state = resume_run(ctx, state["run_id"], decision="accept", actor="ana", role="analyst")
    return state


def test_a_run_without_confirmation_goes_through(db: Database, sqlite_target: str) -> None:
    run_id = _run(db, sqlite_target, human_confirm_required=False)
    state = start_run(_ctx(db), run_id)
    assert state["status"] == "completed" and state["lane"] == "interactive"
    assert state["ingest"]["outputs"]["rows"] == 60
    assert state["decisions"] == {
        "ingest": "accept",
        "domains": "accept",
        "mapping": "accept",
        "analysis": "accept",
        "migration": "accept",  # data_mode: the run migrates after an accepted Analysis
    }
    assert state["domains"]["outputs"]["columns"] == 9
    assert get_run(db, run_id).status == "completed"
    # creation, lane and budgets, completion
    assert _decisions(db, run_id, "SUPERVISOR") == ["accept", "accept", "accept"]
    assert _decisions(db, run_id, "INGEST") == ["accept", "accept"]  # the step, the gate
    assert _decisions(db, run_id, "DOMAINS") == ["accept", "accept"]
    assert _decisions(db, run_id, "MAPPING") == ["accept", "accept"]
    assert _decisions(db, run_id, "ANALYSIS") == ["accept", "accept"]
    # the one chunk, the gate, the promotion (by the contract's actor: the table was new)
    assert _decisions(db, run_id, "MIGRATION") == ["accept", "accept", "accept"]
    assert state["migration"]["metrics"]["staged"] == 60
    assert state["migration"]["after_accept"]["promotion"]["rows"] == 60
    assert target_rows(sqlite_target) == 60
    again = start_run(_ctx(db), run_id)  # a finished run is returned as it is
    assert again["status"] == "completed" and len(_events(db, run_id)) == 14
    assert target_rows(sqlite_target) == 60


def test_the_supervisor_records_lane_and_budgets(db: Database, sqlite_target: str) -> None:
    run_id = _run(db, sqlite_target, human_confirm_required=False)
    state = start_run(_ctx(db), run_id)
    # the profile's token ceilings (150000 domaining, 250000 mapping) cap the contract's caps
    assert state["budgets"]["domains"]["tokens"] == 150000
    assert state["budgets"]["ingest"] == {"tokens": 0, "usd": "0.00", "wall_time_s": 120}
    with db.connect() as conn:
        lane_event = PostgresLedger(conn).events(run_id)[1]
    assert lane_event.stage == "SUPERVISOR" and lane_event.outputs_hash is not None
    assert lane_event.threshold_profile_id == LENIENT_PROFILE


def test_a_held_gate_waits_for_a_person_and_resumes_once(db: Database, sqlite_target: str) -> None:
    run_id = _run(db, sqlite_target, human_confirm_required=True)
    ctx = _ctx(db)
    state = start_run(ctx, run_id)
    assert state["status"] == "held" and get_run(db, run_id).status == "held"
    assert state["held"]["stage"] == "ingest" and state["held"]["allowed"] == [
        "accept",
        "reject",
        "fix",
    ]
    assert _decisions(db, run_id, "INGEST") == ["accept", "hold"]  # the step; the gate holds
    again = start_run(ctx, run_id)  # starting a held run again changes nothing
    assert again["status"] == "held" and _decisions(db, run_id, "INGEST") == ["accept", "hold"]
    with pytest.raises(PolicyBlock):
        resume_run(ctx, run_id, decision="accept", actor="vic", role="viewer")
    with pytest.raises(ContractError):
        resume_run(ctx, run_id, decision="maybe", actor="ana", role="analyst")
    with pytest.raises(ContractError, match="held at the ingest gate"):
        resume_run(ctx, run_id)
    done = resume_run(ctx, run_id, decision="accept", actor="ana", role="analyst")
    assert done["status"] == "held" and done["held"]["stage"] == "domains"  # confirmed too
    done = resume_run(ctx, run_id, decision="accept", actor="ana", role="analyst")
    for stage in ("mapping", "analysis", "migration"):  # and each later gate
        assert done["status"] == "held" and done["held"]["stage"] == stage
        if stage == "migration":  # staged and validated; nothing promoted before the person
            assert target_rows(sqlite_target) == 0
        done = resume_run(ctx, run_id, decision="accept", actor="ana", role="analyst")
    assert done["status"] == "completed" and get_run(db, run_id).status == "completed"
    assert target_rows(sqlite_target) == 60  # promoted as "ana" (into a new table)
    with db.connect() as conn:
        gates = [
            e
            for e in PostgresLedger(conn).events(run_id)
            if e.stage == "INGEST" and e.human_confirmation.required
        ]
    assert len(gates) == 1 and gates[0].human_confirmation.actor == "ana"
    assert gates[0].decision == "accept"
    with pytest.raises(ContractError):
        resume_run(ctx, run_id, decision="accept", actor="ana", role="analyst")
    assert _decisions(db, run_id, "INGEST") == ["accept", "hold", "accept"]


def test_a_rejected_gate_stops_the_run(db: Database, sqlite_target: str) -> None:
    run_id = _run(db, sqlite_target, human_confirm_required=True)
    ctx = _ctx(db)
    start_run(ctx, run_id)
    state = resume_run(ctx, run_id, decision="reject", actor="ana", role="analyst")
    assert state["status"] == "stopped:reject" and get_run(db, run_id).status == "stopped:reject"
    assert _decisions(db, run_id, "INGEST")[-1] == "reject"
    assert start_run(ctx, run_id)["status"] == "stopped:reject"  # stays stopped


def test_fix_runs_the_stage_again_and_asks_again(
    db: Database, tmp_path: Path, sqlite_target: str
) -> None:
    source = tmp_path / "t.csv"
    source.write_text("id,amount\n1,2.50\n")
    run_id = _run(
        db,
        sqlite_target,
        human_confirm_required=True,
        lhs={"source": {"type": "file"}, "location": str(source)},
    )
    ctx = _ctx(db)
    assert start_run(ctx, run_id)["ingest"]["outputs"]["rows"] == 1
    source.write_text("id,amount\n1,2.50\n2,3.75\n")  # the person fixes the source
    state = resume_run(ctx, run_id, decision="fix", actor="ana", role="analyst")
    assert state["status"] == "held" and state["ingest"]["attempt"] == 1
    assert state["ingest"]["outputs"]["rows"] == 2  # the stage ran again on the fixed file
    done = _accept_held(
        ctx, resume_run(ctx, run_id, decision="accept", actor="ana", role="analyst")
    )
    assert done["status"] == "completed" and done["decisions"]["migration"] == "accept"
    assert _decisions(db, run_id, "INGEST") == ["accept", "hold", "fix", "accept", "hold", "accept"]
    assert target_rows(sqlite_target) == 2  # the fixed source's rows


def test_the_gate_holds_a_source_without_rows(
    db: Database, tmp_path: Path, sqlite_target: str
) -> None:
    source = tmp_path / "empty.csv"
    source.write_text("id,amount\n")
    run_id = _run(
        db,
        sqlite_target,
        human_confirm_required=False,
        lhs={"source": {"type": "file"}, "location": str(source)},
    )
    state = start_run(_ctx(db), run_id)
    assert state["status"] == "held" and state["held"]["decision"] == "hold"
    assert state["held"]["reasons"] == ["the source has no rows"]


def test_the_gate_holds_ragged_rows(db: Database, tmp_path: Path, sqlite_target: str) -> None:
    source = tmp_path / "ragged.csv"
    source.write_text("id,amount,memo\n1,2.50,x\n2,3.75\n")
    run_id = _run(
        db,
        sqlite_target,
        human_confirm_required=False,
        lhs={"source": {"type": "file"}, "location": str(source)},
    )
    state = start_run(_ctx(db), run_id)
    assert state["status"] == "held"
    assert state["held"]["reasons"] == ["1 ragged rows were padded on reading"]


def test_a_bad_source_fails_the_run_with_its_code(
    db: Database, tmp_path: Path, sqlite_target: str
) -> None:
    source = tmp_path / "junk.csv"
    source.write_bytes(bytes(range(256)) * 64)
    run_id = _run(
        db,
        sqlite_target,
        human_confirm_required=False,
        lhs={"source": {"type": "file"}, "location": str(source)},
    )
    state = start_run(_ctx(db), run_id)
    assert state["status"] == "failed" and get_run(db, run_id).status == "failed"
    assert state["error"]["code"] == "DETERMINISTIC_FAILURE"
    assert "junk.csv" in state["error"]["message"]
    with db.connect() as conn:
        [reject] = [e for e in PostgresLedger(conn).events(run_id) if e.decision == "reject"]
    assert reject.stage == "INGEST" and reject.error_code == "DETERMINISTIC_FAILURE"
    source.write_text("id,amount\n1,2.50\n")  # fixed: starting again runs from the top
    again = start_run(_ctx(db), run_id)
    assert again["status"] == "completed" and again["ingest"]["outputs"]["rows"] == 1
    assert again["decisions"]["migration"] == "accept" and target_rows(sqlite_target) == 1


def test_a_sql_source_goes_through_the_graph(
    db: Database, tmp_path: Path, sqlite_target: str
) -> None:
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
        sqlite_target,
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
    assert state["status"] == "completed", state.get("error")
    assert state["ingest"]["outputs"]["rows"] == 40
    from artifacts.store import PostgresArtifactStore

    with db.connect() as conn:
        store = PostgresArtifactStore(conn)
        catalog = store.get(state["ingest"]["outputs"]["catalog"]).body
        sample = store.get(state["ingest"]["outputs"]["sample"]).body
    [table] = catalog["tables"]
    assert table["source"]["table"] == "contacts" and table["source"]["primary_key"] == ["id"]
    # the shim's plan is recorded in the catalog and applied to the sample (ids as canonical text)
    assert table["standardization"]["hash"] == sample["tables"][0]["standardization"]
    assert set(table["standardization"]["columns"]) == {"id", "email", "city"}
    emails = sample["tables"][0]["columns"]["email"]
    assert emails and not any("@example.org" in str(v) for v in emails)
    # Migration reads the same ``env:`` source (the context's env) into the run's own target
    assert state["decisions"]["migration"] == "accept" and target_rows(sqlite_target) == 40


def test_an_unset_env_location_is_refused(db: Database, tmp_path: Path, sqlite_target: str) -> None:
    run_id = _run(
        db,
        sqlite_target,
        lhs={"source": {"type": "sql"}, "location": "env:NOT_SET_ANYWHERE"},
        human_confirm_required=False,
    )
    state = start_run(_ctx(db), run_id)
    assert state["status"] == "failed" and state["error"]["code"] == "DETERMINISTIC_FAILURE"
    assert "NOT_SET_ANYWHERE" in state["error"]["message"]


def _checkpoints(db: Database, run_id: str) -> int:
    from sqlalchemy import text

    with db.connect() as conn:
        return int(
            conn.execute(
                text("SELECT count(*) FROM checkpoints WHERE thread_id = :t"), {"t": run_id}
            ).scalar_one()
        )


def test_checkpoints_of_finished_runs_are_pruned(db: Database, tmp_path: Path) -> None:
    from supervisor.graph import prune_checkpoints

    done = _run(db, f"sqlite:///{tmp_path / 'done.sqlite'}", human_confirm_required=False)
    held = _run(db, f"sqlite:///{tmp_path / 'held.sqlite'}", human_confirm_required=True)
    assert start_run(_ctx(db), done)["status"] == "completed"
    assert start_run(_ctx(db), held)["status"] == "held"
    before_held = _checkpoints(db, held)
    assert _checkpoints(db, done) > 1
    assert prune_checkpoints(db) >= 1
    assert _checkpoints(db, done) == 1  # the last one is kept
    assert _checkpoints(db, held) == before_held  # a held run keeps everything
    finished = _accept_held(
        _ctx(db), resume_run(_ctx(db), held, decision="accept", actor="ana", role="analyst")
    )
    assert finished["status"] == "completed"  # through Migration, into its own target
    prune_checkpoints(db, delete=True)
    assert _checkpoints(db, done) == 0 and _checkpoints(db, held) == 0


def test_transient_failures_are_retried_then_escalated_to_a_person(
    db: Database, sqlite_target: str
) -> None:
    """A source that cannot be reached (a closed port: TRANSIENT_ERROR) is retried twice, then a
    person decides; accept is not offered since the stage produced nothing."""
    run_id = _run(
        db,
        sqlite_target,
        lhs={"source": {"type": "sql"}, "location": "postgresql://postgres@127.0.0.1:1/none"},
        human_confirm_required=False,
    )
    ctx = _ctx(db)
    state = start_run(ctx, run_id)
    assert state["status"] == "held" and state["held"]["decision"] == "escalate"
    assert state["held"]["allowed"] == ["reject", "fix"]
    assert state["held"]["reasons"][0].startswith("TRANSIENT_ERROR")
    assert _decisions(db, run_id, "INGEST") == ["retry", "retry", "escalate"]
    with db.connect() as conn:
        codes = {e.error_code for e in PostgresLedger(conn).events(run_id) if e.stage == "INGEST"}
    assert codes == {"TRANSIENT_ERROR"}
    with pytest.raises(ContractError, match="decision must be one of reject, fix"):
        resume_run(ctx, run_id, decision="accept", actor="ana", role="analyst")
    done = resume_run(ctx, run_id, decision="reject", actor="ana", role="analyst")
    assert done["status"] == "failed" and get_run(db, run_id).status == "failed"
    assert done["error"]["code"] == "TRANSIENT_ERROR"


def test_a_relative_sqlite_source_starts_from_the_contract_folder(
    tmp_path: Path, db: Database, monkeypatch: pytest.MonkeyPatch, sqlite_target: str
) -> None:
    import sqlite3

    (tmp_path / "data").mkdir()
    with sqlite3.connect(tmp_path / "data" / "gl.db") as conn:
        conn.execute("CREATE TABLE gl (id INTEGER PRIMARY KEY, account TEXT)")
        conn.executemany("INSERT INTO gl VALUES (?, ?)", [(i, "6100") for i in range(7)])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the working directory holds no data/gl.db
    run_id = _run(
        db,
        sqlite_target,
        lhs={"source": {"type": "sql"}, "location": "sqlite:///data/gl.db"},
        human_confirm_required=False,
    )
    ctx = GraphContext(db=db, manifest=current_manifest(), pii_key=b"k" * 32, base=tmp_path)
    state = start_run(ctx, run_id)
    assert state["ingest"]["outputs"]["rows"] == 7
    # A GL table does not make bank transactions: Mapping holds for a person, past Ingest.
    assert state["status"] == "held" and state["held"]["stage"] == "mapping"
    assert not (elsewhere / "data").exists()  # nothing was created beside the working directory
