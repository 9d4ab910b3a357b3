"""The supervisor chooses each run's lane from the §4 signals and records it; runs are queued on
that lane: in-process thread pools without Redis, RQ queues served by ``conduit worker`` with it."""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml

from core.db import Database
from core.errors import ContractError
from ledger.store import PostgresLedger
from policy.manifest import current_manifest
from supervisor.dispatch import RUN_OVERHEAD_S, dispatch
from supervisor.executors import ThreadLaneExecutor
from supervisor.graph import GraphContext, start_run
from supervisor.runs import create_run, get_run
from tests.conftest import CONDUIT, LENIENT_PROFILE, ROOT, target_rows

EXAMPLE = ROOT / "examples" / "bank_transactions" / "contract.yaml"


def _ctx(db: Database, base: Path = EXAMPLE.parent, **changes: Any) -> GraphContext:
    ctx = GraphContext(db=db, manifest=current_manifest(), pii_key=b"k" * 32, base=base)
    return replace(ctx, **changes)


@pytest.fixture(autouse=True)
def _lenient(lenient_profile: str) -> None:
    """These tests are about lanes and queues: the Domains gate does not hold."""


def _doc(target: str, **changes: Any) -> dict[str, Any]:
    """The example contract, migrating into ``target`` (the test's own)."""
    doc: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
    doc["lhs"]["location"] = str(EXAMPLE.parent / "transactions.csv")
    doc["rhs"]["schema_ref"] = str(EXAMPLE.parent / doc["rhs"]["schema_ref"])
    doc["rhs"]["location"] = target
    doc["threshold_profile_id"] = LENIENT_PROFILE
    doc.update(changes)
    return doc


def _run(db: Database, target: str, **changes: Any) -> str:
    return create_run(db, _doc(target, **changes)).run.run_id


def _medium_csv(folder: Path) -> Path:
    """About 9 MB: above the interactive limit of 8 MB, far below the batch size."""
    rows = 180_000
    i = pl.int_range(0, rows, eager=True)
    path = folder / "medium.csv"
    pl.DataFrame(
        {
            "txn_id": (i + 10_000_000).cast(pl.Utf8),
            "posted_date": pl.Series(["2026-05-04", "2026-06-01"] * (rows // 2)),
            "amount": (i * 7919 % 500_000 / 100).cast(pl.Utf8),
            "memo": pl.Series(["card purchase at the corner store"] * rows),
        }
    ).write_csv(path)
    assert 8 * 2**20 < path.stat().st_size < 100 * 2**20
    return path


def test_a_small_run_is_interactive_and_the_choice_is_recorded(
    db: Database, sqlite_target: str
) -> None:
    state = start_run(_ctx(db), _run(db, sqlite_target, human_confirm_required=False))
    choice = state["lane_choice"]
    assert state["lane"] == choice["lane"] == "interactive"
    assert choice["queue"] == "interactive_fast" and choice["overridden"] is False
    # the example contract hints interactive
    assert choice["reasons"] == ["small run: interactive", "lane_hint interactive followed"]


def test_a_slower_hint_is_followed(db: Database, sqlite_target: str) -> None:
    run_id = _run(db, sqlite_target, human_confirm_required=False, lane_hint="batch")
    state = start_run(_ctx(db), run_id)
    assert state["lane"] == "batch" and state["lane_choice"]["overridden"] is False
    assert state["lane_choice"]["reasons"][-1] == "lane_hint batch followed"
    assert get_run(db, run_id).lane == "batch"


def test_a_medium_source_overrides_an_interactive_hint(
    tmp_path: Path, db: Database, sqlite_target: str
) -> None:
    source = _medium_csv(tmp_path)
    run_id = create_run(
        db,
        _doc(
            sqlite_target,
            human_confirm_required=False,
            lane_hint="interactive",
            lhs={"source": {"type": "file"}, "location": str(source)},
        ),
    ).run.run_id
    state = start_run(_ctx(db, tmp_path), run_id)
    choice = state["lane_choice"]
    assert state["lane"] == "flex" and choice["hint"] == "interactive" and choice["overridden"]
    assert choice["reasons"][-1].startswith("lane_hint interactive overridden: medium-sized run")


def test_a_deep_interactive_queue_sends_the_run_to_flex(db: Database, sqlite_target: str) -> None:
    ctx = _ctx(db, queue_depth={"interactive": 4})
    state = start_run(ctx, _run(db, sqlite_target, human_confirm_required=False))
    assert state["lane"] == "flex"
    assert "interactive queue holds 4 jobs" in state["lane_choice"]["reasons"][-1]


def test_the_ledger_hash_covers_the_recorded_choice(db: Database, sqlite_target: str) -> None:
    from core.canonical import content_hash

    run_id = _run(db, sqlite_target, human_confirm_required=False)
    state = start_run(_ctx(db), run_id)
    with db.connect() as conn:
        lane_event = PostgresLedger(conn).events(run_id)[1]
    expected = content_hash({"lane": state["lane_choice"], "budgets": state["budgets"]})
    assert lane_event.outputs_hash == expected


def test_dispatch_on_threads_runs_the_job_on_its_lane(
    db: Database, cli_env: Any, sqlite_target: str
) -> None:
    # run_job opens the store from the settings, as a worker process would
    import os

    run_id = _run(db, sqlite_target, human_confirm_required=False, lane_hint="flex")
    saved = {k: os.environ.get(k) for k in ("CONDUIT_HOME", "CONDUIT_DATABASE_URL")}
    os.environ.update({k: v for k, v in cli_env.items() if k.startswith("CONDUIT_")})
    executor = ThreadLaneExecutor()
    try:
        sent = dispatch(_ctx(db), executor, run_id)
        result = sent.handle.result(timeout=120)
    finally:
        executor.close()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    assert sent.lane == "flex" and sent.handle.lane == "flex"
    assert sent.deadline_s >= RUN_OVERHEAD_S
    assert result == {"run_id": run_id, "status": "completed", "lane": "flex"}
    assert target_rows(sqlite_target) == 60  # the job ran the whole graph, Migration included


def test_a_resume_that_cannot_succeed_fails_before_it_is_queued(
    db: Database, sqlite_target: str
) -> None:
    run_id = _run(db, sqlite_target)  # human_confirm_required: it holds at the ingest gate
    start_run(_ctx(db), run_id)
    executor = ThreadLaneExecutor()
    try:
        with pytest.raises(ContractError, match="decision must be one of"):
            dispatch(
                _ctx(db),
                executor,
                run_id,
                action="resume",
                decision="maybe",
                actor="ana",
                role="analyst",
            )
        assert executor.queue_depth("interactive") == 0
    finally:
        executor.close()
    assert get_run(db, run_id).status == "held"


# -- Redis: `runs start` queues, `conduit worker` runs ------------------------------------------


def _conduit(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CONDUIT), *args], env=env, capture_output=True, text=True, timeout=240
    )


def _worker_burst(env: dict[str, str], lane: str) -> list[dict[str, Any]]:
    done = _conduit(env, "worker", "--lane", lane, "--burst")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return [line for line in lines if line["event"] == "job"]


def _migration_served_by_batch_workers(env: dict[str, str]) -> list[tuple[str, str]]:
    """An interactive worker runs the run's Migration stage, which queues its chunks on the batch
    lane and waits: batch workers serve them meanwhile. The batch jobs (function, outcome)."""
    import time

    interactive = subprocess.Popen(
        [str(CONDUIT), "worker", "--lane", "interactive", "--burst"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    jobs: list[dict[str, Any]] = []
    try:
        deadline = time.monotonic() + 180
        while interactive.poll() is None:
            assert time.monotonic() < deadline, "the migration's batch jobs were not served"
            jobs += _worker_burst(env, "batch")
            time.sleep(0.2)
        _, err = interactive.communicate(timeout=30)
        assert interactive.returncode == 0, err
    finally:
        if interactive.poll() is None:
            interactive.kill()
            interactive.communicate()
    return [(j["function"], j["outcome"]) for j in jobs]


def test_on_redis_runs_are_queued_and_served_by_workers(
    tmp_path: Path, db: Database, cli_env: dict[str, str], redis_url: str, sqlite_target: str
) -> None:
    env = cli_env | {"CONDUIT_REDIS_URL": redis_url}
    contract = tmp_path / "contract.yaml"
    contract.write_text(yaml.safe_dump(_doc(sqlite_target, audit_tags=["redis-lanes"])))
    created = _conduit(env, "runs", "create", "--contract", str(contract), "--json")
    run_id = json.loads(created.stdout)["run_id"]

    queued = _conduit(env, "runs", "start", run_id, "--json")
    assert queued.returncode == 0, queued.stderr
    assert json.loads(queued.stdout) == {
        "run_id": run_id,
        "queued": "interactive",
        "job_id": json.loads(queued.stdout)["job_id"],
    }
    assert "queue interactive_fast" in queued.stderr
    assert get_run(db, run_id).status == "created"  # nothing runs it until a worker does

    assert _worker_burst(env, "flex") == []  # another lane's worker leaves it alone
    jobs = _worker_burst(env, "interactive")
    assert [(j["function"], j["outcome"]) for j in jobs] == [
        ("supervisor.jobs.run_job", "finished")
    ]
    assert get_run(db, run_id).status == "held"  # the ingest gate asks a person

    refused = _conduit(env, "runs", "resume", run_id, "--decision", "maybe", "--actor", "ana")
    assert refused.returncode != 0 and "DETERMINISTIC_FAILURE" in refused.stderr
    assert "held at the ingest gate" in refused.stderr
    from supervisor.executors import RedisLaneExecutor

    assert RedisLaneExecutor(redis_url).queue_depth("interactive") == 0  # nothing was queued
    answered = _conduit(
        env,
        *("runs", "resume", run_id, "--decision", "accept"),
        *("--actor", "ana.analyst", "--role", "analyst"),
    )
    assert answered.returncode == 0, answered.stderr
    assert "queued on lane interactive" in answered.stdout
    assert get_run(db, run_id).status == "held"
    _worker_burst(env, "interactive")
    assert get_run(db, run_id).status == "held"  # the domains gate asks for confirmation too
    again = _conduit(
        env,
        *("runs", "resume", run_id, "--decision", "accept"),
        *("--actor", "ana.analyst", "--role", "analyst"),
    )
    assert again.returncode == 0, again.stderr
    _worker_burst(env, "interactive")
    assert get_run(db, run_id).status == "held"  # and the mapping gate, then analysis
    for gate in ("mapping", "analysis", "migration"):
        answer = _conduit(
            env,
            *("runs", "resume", run_id, "--decision", "accept"),
            *("--actor", "ana.analyst", "--role", "analyst"),
        )
        assert answer.returncode == 0, (gate, answer.stderr)
        if gate == "analysis":  # Migration stages its chunks as jobs on the batch lane
            assert (
                _migration_served_by_batch_workers(env)
                == [("supervisor.jobs.migration_job", "finished")] * 2
            )
            assert get_run(db, run_id).status == "held"  # the migration gate confirms too
            assert target_rows(sqlite_target) == 0  # staged, not promoted yet
        else:
            _worker_burst(env, "interactive")
    assert get_run(db, run_id).status == "completed"
    assert target_rows(sqlite_target) == 60
    followed = _conduit(env, "runs", "follow", run_id, "--json")
    assert followed.returncode == 0, followed.stderr
    assert json.loads(followed.stdout)["status"] == "completed"
