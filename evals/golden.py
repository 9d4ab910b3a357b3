"""``conduit eval DIR``: every golden case as a real run, scored (GOLDEN_FORMAT.md).

Each case becomes a Run Contract (``evals.golden_cases.case_contract``: the default threshold
profile, no model, ``human_confirm_required`` off) and a real run through the supervisor graph:
ledger, artifacts, checkpoints. Held gates are not answered: a run that holds stays held, and
what it left for a person counts in ``held``. The case's target is a scratch SQLite database
the eval creates and drops.

What is scored today is what the stages that exist produce:

- ``domains``: from the run's Domain Assignments, over the labelled source columns of
  ``data_mode`` cases (``metadata_only`` cases compute mapping metrics only, per the format),
  with the calibration figures of ``evals.domains.domain_metrics`` under ``domain_metrics``;
- ``held``: borderline domain decisions (each waits for a person) plus one per held gate;
- ``mapping`` and ``cells`` are ``null`` until the Mapping and Migration stages exist: a
  figure is reported only when it was measured.

A case that cannot run (malformed folder, refused contract, failed run) is an error for that
case, with its §31 code; the other cases still run.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from core.errors import ConduitError
from evals.domains import Outcome, domain_metrics, outcomes
from evals.golden_cases import case_contract, find_cases, load_case

if TYPE_CHECKING:
    from core.db import Database

__all__ = ["run_golden_eval"]

Progress = Callable[[dict[str, Any]], None]


def _assignments(db: Database, state: dict[str, Any]) -> dict[str, Any] | None:
    from artifacts.store import PostgresArtifactStore

    ref = ((state.get("domains") or {}).get("outputs") or {}).get("assignments")
    if not ref:
        return None
    with db.connect() as conn:
        body: dict[str, Any] = PostgresArtifactStore(conn).get(ref).body
        return body


def _run_case(
    db: Database, folder: Path, *, home: Path, secret: str | None
) -> tuple[dict[str, Any], list[Outcome]]:
    from supervisor.graph import context_for, start_run
    from supervisor.runs import create_run

    started = time.perf_counter()
    entry: dict[str, Any] = {
        "name": folder.name,
        "run_id": None,
        "mapping": None,
        "cells": None,
        "domains": None,
        "held": 0,
        "status": None,
        "seconds": 0.0,
        "error": None,
    }
    results: list[Outcome] = []
    try:
        case = load_case(folder)
        entry["name"] = case.name
        with tempfile.TemporaryDirectory(prefix="conduit-eval-") as scratch:
            target = f"sqlite:///{Path(scratch) / 'target.sqlite'}"
            run_id = create_run(db, case_contract(case, target_url=target)).run.run_id
            entry["run_id"] = run_id
            ctx = context_for(db, run_id, base=case.folder, home=home, secret=secret)
            state = dict(start_run(ctx, run_id))
        entry["status"] = state.get("status")
        if state.get("status") == "failed":
            error = cast(dict[str, Any], state.get("error") or {})
            entry["error"] = f"{error.get('code')}: {error.get('message')}"
        body = _assignments(db, state)
        held = 1 if state.get("status") == "held" else 0
        if body is not None:
            held += int(body["summary"]["borderline"])
            if case.mode == "data_mode" and case.domains:
                results = outcomes(case.name, body, case.domains)
                entry["domains"] = domain_metrics(results)["domains"]
        entry["held"] = held
    except ConduitError as e:
        entry["error"] = f"{e.code}: {e.message}"
    entry["seconds"] = round(time.perf_counter() - started, 3)
    return entry, results


def run_golden_eval(
    db: Database,
    root: Path,
    *,
    home: Path,
    secret: str | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Run and score every case under ``root``; the report of GOLDEN_FORMAT.md."""
    started = time.perf_counter()
    cases: list[dict[str, Any]] = []
    everything: list[Outcome] = []
    for folder in find_cases(root):
        entry, results = _run_case(db, folder, home=home, secret=secret)
        cases.append(entry)
        everything += results
        if progress is not None:
            progress(entry)
    metrics = domain_metrics(everything)
    return {
        "summary": {
            "mapping": None,
            "cells": None,
            "domains": metrics["domains"],
            "domain_metrics": metrics,
            "held": sum(c["held"] for c in cases),
            "cases": len(cases),
            "errors": sum(c["error"] is not None for c in cases),
            "seconds": round(time.perf_counter() - started, 3),
        },
        "cases": cases,
    }
