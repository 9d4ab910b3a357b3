"""``conduit eval DIR``: every golden case as a real run, scored (GOLDEN_FORMAT.md).

Each case becomes a Run Contract (``evals.golden_cases.case_contract``: the default threshold
profile, no model, ``human_confirm_required`` off) and a real run through the supervisor graph:
ledger, artifacts, checkpoints. Held gates are not answered: a run that holds stays held, and
what it left for a person counts in ``held``. The case's target is a scratch SQLite database
the eval creates and drops.

What is scored:

- ``mapping``: from the run's Mapping Plan (``evals.mapping``): only accepted pipelines count as
  produced;
- ``cells``: for ``data_mode`` cases with ``expected.csv``, the accepted pipelines executed over
  the whole source by ``specialists.mapping.transform``, the executor Migration's ETL runs,
  compared cell by cell; ``null`` for a case without ``expected.csv``;
- ``domains``: from the run's Domain Assignments, over the labelled source columns of
  ``data_mode`` cases (``metadata_only`` cases compute mapping metrics only, per the format),
  with the calibration figures of ``evals.domains.domain_metrics`` under ``domain_metrics``;
- ``held``: the mapping decisions left for a person (held or to fix) plus one per held gate; a
  run held before Mapping counts its borderline domain decisions instead.

Every eval is stored as an ``eval_report`` artifact with one ledger event on the ``eval`` chain.
The produced target rows of each case are written into the case's scratch SQLite database and
read back from there for the cell comparison; the database is dropped with the case.
``run_nightly`` runs the set once per routing profile (§43: nightly evals across providers) and
compares each with the previous stored eval of the same set and profile.

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
from evals.golden_cases import Case, case_contract, find_cases, load_case
from evals.mapping import PairCounts, cell_accuracy, mapping_counts, prf

if TYPE_CHECKING:
    from core.db import Database

__all__ = ["run_golden_eval", "run_nightly"]

Progress = Callable[[dict[str, Any]], None]


LEDGER_RUN = "eval"


def _output(db: Database, state: dict[str, Any], stage: str, name: str) -> dict[str, Any] | None:
    from artifacts.store import PostgresArtifactStore

    ref = ((state.get(stage) or {}).get("outputs") or {}).get(name)
    if not ref:
        return None
    with db.connect() as conn:
        body: dict[str, Any] = PostgresArtifactStore(conn).get(ref).body
        return body


def _through_sqlite(produced: Any, target_url: str) -> Any:
    """``produced`` written into the scratch SQLite target (one text column per target column)
    and read back as text, the way a reader of the target sees it."""
    import sqlite3

    import polars as pl

    path = target_url.removeprefix("sqlite:///")
    columns = produced.columns
    # Positional names: SQLite folds case, and a schema may have both ``id`` and ``ID``.
    quoted = ", ".join(f"c{i} TEXT" for i in range(len(columns)))
    rows = [
        tuple(
            None if v is None else v.isoformat() if hasattr(v, "isoformat") else str(v) for v in r
        )
        for r in produced.iter_rows()
    ]
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE IF EXISTS target")
        conn.execute(f"CREATE TABLE target ({quoted})")
        conn.executemany(f"INSERT INTO target VALUES ({', '.join('?' * len(columns))})", rows)
        back = conn.execute("SELECT * FROM target").fetchall()
    return pl.DataFrame(back, schema=dict.fromkeys(columns, pl.Utf8), orient="row")


def _cells(
    case: Case, catalog: dict[str, Any], plan: dict[str, Any], target_url: str
) -> tuple[int, int] | None:
    from specialists.ingest.run import standard_frame
    from specialists.mapping.execute import transform
    from specialists.mapping.plan import plan_pipelines

    expected = case.folder / "expected.csv"
    if case.mode != "data_mode" or not expected.is_file() or case.lhs["type"] != "file":
        return None
    entry = catalog["tables"][0]
    frame = standard_frame(case.folder / str(case.lhs["location"]), entry["standardization"])
    produced = transform(frame, plan_pipelines(plan), case.target)
    return cell_accuracy(_through_sqlite(produced, target_url), expected, case.target)


def _run_case(
    db: Database, folder: Path, *, home: Path, secret: str | None, routing_profile: str
) -> tuple[dict[str, Any], list[Outcome], PairCounts, tuple[int, int] | None]:
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
    counts, cells = PairCounts(), None
    try:
        case = load_case(folder)
        entry["name"] = case.name
        with tempfile.TemporaryDirectory(prefix="conduit-eval-") as scratch:
            target = f"sqlite:///{Path(scratch) / 'target.sqlite'}"
            contract = case_contract(case, target_url=target, routing_profile=routing_profile)
            run_id = create_run(db, contract).run.run_id
            entry["run_id"] = run_id
            ctx = context_for(db, run_id, base=case.folder, home=home, secret=secret)
            state = dict(start_run(ctx, run_id))
            plan = _output(db, state, "mapping", "plan")
            if plan is not None:
                cells = _cells(case, _output(db, state, "ingest", "catalog") or {}, plan, target)
        entry["status"] = state.get("status")
        if state.get("status") == "failed":
            error = cast(dict[str, Any], state.get("error") or {})
            entry["error"] = f"{error.get('code')}: {error.get('message')}"
        body = _output(db, state, "domains", "assignments")
        held = 1 if state.get("status") == "held" else 0
        if body is not None and case.mode == "data_mode" and case.domains:
            results = outcomes(case.name, body, case.domains)
            entry["domains"] = domain_metrics(results)["domains"]
        if plan is not None:
            held += plan["summary"]["held"] + plan["summary"]["fix"]
            entry["plan"] = [
                {k: c[k] for k in ("target", "sources", "decision", "confidence", "strategy")}
                for c in plan["columns"]
            ]
        elif body is not None:
            held += int(body["summary"]["borderline"])
        counts = mapping_counts(plan, case.mappings)
        entry["mapping"] = prf(counts)
        entry["cells"] = (
            None if cells is None else round(cells[0] / cells[1], 4) if cells[1] else None
        )
        entry["held"] = held
    except ConduitError as e:
        entry["error"] = f"{e.code}: {e.message}"
    except (OSError, UnicodeError, ValueError) as e:  # an unreadable file of this case only
        entry["error"] = f"DETERMINISTIC_FAILURE: {type(e).__name__}: {e}"
    entry["seconds"] = round(time.perf_counter() - started, 3)
    return entry, results, counts, cells


def run_golden_eval(
    db: Database,
    root: Path,
    *,
    home: Path,
    secret: str | None = None,
    progress: Progress | None = None,
    routing_profile: str = "quality_first",
) -> dict[str, Any]:
    """Run and score every case under ``root``; the report of GOLDEN_FORMAT.md."""
    started = time.perf_counter()
    cases: list[dict[str, Any]] = []
    everything: list[Outcome] = []
    counts, right, total = PairCounts(), 0, 0
    for folder in find_cases(root):
        entry, results, case_counts, cells = _run_case(
            db, folder, home=home, secret=secret, routing_profile=routing_profile
        )
        cases.append(entry)
        everything += results
        counts += case_counts
        if cells is not None:
            right, total = right + cells[0], total + cells[1]
        if progress is not None:
            progress(entry)
    metrics = domain_metrics(everything)
    report = {
        "summary": {
            "mapping": prf(counts) if cases else None,
            "cells": round(right / total, 4) if total else None,
            "domains": metrics["domains"],
            "domain_metrics": metrics,
            "held": sum(c["held"] for c in cases),
            "cases": len(cases),
            "errors": sum(c["error"] is not None for c in cases),
            "seconds": round(time.perf_counter() - started, 3),
        },
        "routing_profile": routing_profile,
        "cases": cases,
    }
    report["eval"] = _store(db, root, report)
    return report


#: The summary figures a nightly run compares with the previous one.
COMPARED = ("cells", "domains", "held", "errors")


def _previous(db: Database, root: Path, routing_profile: str, before: str) -> dict[str, Any] | None:
    """The newest stored eval of ``root`` under ``routing_profile`` other than ``before``."""
    from artifacts.store import PostgresArtifactStore

    with db.connect() as conn:
        store = PostgresArtifactStore(conn)
        for meta in reversed(store.list(None, kind="eval_report")):
            if meta.ref.hash == before:
                continue
            body = store.get(meta.ref.hash).body
            if body.get("root") == str(root) and body.get("routing_profile") == routing_profile:
                return {"artifact": meta.ref.hash, "summary": body["summary"]}
    return None


def _delta(now: Any, then: Any) -> float | None:
    if isinstance(now, (int, float)) and isinstance(then, (int, float)):
        return round(float(now) - float(then), 4)
    return None


def run_nightly(
    db: Database,
    root: Path,
    *,
    home: Path,
    secret: str | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The set once per routing profile, each compared with its previous stored eval."""
    from typing import get_args

    from core.contract import RoutingProfile

    runs = []
    for profile in get_args(RoutingProfile):
        report = run_golden_eval(
            db, root, home=home, secret=secret, progress=progress, routing_profile=profile
        )
        summary = report["summary"]
        previous = _previous(db, root, profile, report["eval"]["artifact"])
        delta = None
        if previous is not None:
            then = previous["summary"]
            delta = {k: _delta(summary.get(k), then.get(k)) for k in COMPARED}
            delta["mapping_f1"] = _delta(
                (summary.get("mapping") or {}).get("f1"), (then.get("mapping") or {}).get("f1")
            )
        runs.append(
            {
                "routing_profile": profile,
                "summary": summary,
                "eval": report["eval"],
                "previous": None if previous is None else previous["artifact"],
                "delta": delta,
            }
        )
    return {"root": str(root), "runs": runs}


def _store(db: Database, root: Path, report: dict[str, Any]) -> dict[str, Any]:
    """Store the report as an ``eval_report`` artifact with one ledger event on the ``eval``
    chain; return its reference."""
    from artifacts.store import PostgresArtifactStore
    from core.canonical import content_hash
    from ledger.events import LedgerEvent
    from ledger.store import PostgresLedger
    from policy.manifest import current_manifest

    body = {"root": str(root), **report}
    with db.begin() as conn:
        ref = PostgresArtifactStore(conn).put("eval_report", body, run_id=None)
        PostgresLedger(conn).append(
            LedgerEvent(
                run_id=LEDGER_RUN,
                stage="SUPERVISOR",
                decision="accept",
                inputs_hash=content_hash([c.get("run_id") for c in report["cases"]]),
                outputs_hash=ref.hash,
                policy_version=current_manifest().version,
                error_detail_id=f"eval:{root.name}",
            )
        )
    return {"artifact": ref.hash, "ledger_run": LEDGER_RUN}
