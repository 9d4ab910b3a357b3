"""The ``conduit`` command line.

Every command is a thin face: it parses arguments, builds ``Settings`` once, calls one supervisor
or store function, and prints the result (text, or JSON with ``--json``). Errors print one line,
``error: CODE: message``, and exit with the code's exit status from ``core.errors.CODES``;
``--debug`` prints the traceback as well. Heavy modules are imported inside the commands so
``conduit --help`` stays fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, cast

import typer

from api.cli import render
from api.cli.common import open_db as _open_db
from api.cli.domain_cmds import domains_app
from api.cli.migration_cmds import migrations_app
from api.cli.policy_cmds import eval_app, policy_app
from api.cli.serve_cmds import keys_app, serve
from api.cli.worker_cmds import worker

if TYPE_CHECKING:
    pass

app = typer.Typer(
    name="conduit",
    help="Move data from a source to a target schema, safely: supervised, gated, and audited.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
runs_app = typer.Typer(help="Create and inspect runs.", no_args_is_help=True)
artifacts_app = typer.Typer(help="Inspect content-hashed artifacts.", no_args_is_help=True)
app.add_typer(runs_app, name="runs")
app.add_typer(artifacts_app, name="artifacts")
app.add_typer(policy_app, name="policy")
app.add_typer(eval_app, name="eval")
app.add_typer(domains_app, name="domains")
app.add_typer(migrations_app, name="migrations")
app.add_typer(keys_app, name="keys")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
ContractFile = Annotated[
    Path, typer.Option("--contract", "-c", help="Run Contract file (YAML or JSON).", metavar="FILE")
]


@app.callback()
def _root(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the full traceback when a command fails.")
    ] = False,
) -> None:
    """Conduit: supervised, audited data migration."""


def _emit(as_json: bool, data: Any, text: str) -> None:
    if as_json:
        typer.echo(json.dumps(data, indent=2, sort_keys=True, default=str))
    else:
        typer.echo(text)


@app.command()
def init(as_json: JsonFlag = False) -> None:
    """Create the control-plane store (embedded unless CONDUIT_DATABASE_URL is set), apply its
    schema migrations and store the bundled threshold profiles and policy manifests."""
    from core.migrate import current_revision
    from supervisor.reference import ensure_reference_data

    db = _open_db()
    with db.begin() as conn:
        ensure_reference_data(conn)
        revision = current_revision(conn)
    info = render.store_info(db, revision)
    _emit(as_json, info, render.store_text(info))


@runs_app.command("create")
def runs_create(
    contract: ContractFile,
    idempotency_key: Annotated[
        str | None,
        typer.Option(help="Retries with the same key return the same run instead of a new one."),
    ] = None,
    follow: Annotated[
        bool,
        typer.Option(
            "--follow",
            "-f",
            help="Start the run at once (sources relative to the contract's folder) and show "
            "live progress per stage until it ends, then the Decision Summary.",
        ),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Create a run from a Run Contract (and, with --follow, run it)."""
    from core.contract import load_contract_file
    from supervisor.runs import create_run

    doc = load_contract_file(contract)
    db = _open_db()
    result = create_run(db, doc, idempotency_key=idempotency_key)
    data = render.run_dict(result.run) | {"created": result.created}
    verb = "created" if result.created else "exists (same idempotency key), returned"
    if not follow:
        _emit(as_json, data, f"run {result.run.run_id} {verb}\n" + render.run_text(result.run))
        return
    run_id = result.run.run_id
    typer.echo(f"run {run_id} {verb}")
    ctx = _graph_context(run_id, contract.resolve().parent)
    _drive(ctx, run_id, True, as_json)


@runs_app.command("amend")
def runs_amend(run_id: str, contract: ContractFile, as_json: JsonFlag = False) -> None:
    """Give a run a new contract version (mode and the other §27 pins may not change)."""
    from core.contract import load_contract_file
    from supervisor.runs import amend_contract

    doc = load_contract_file(contract)
    run, changed = amend_contract(_open_db(), run_id, doc)
    verb = f"contract v{run.contract_version} recorded" if changed else "contract unchanged"
    _emit(as_json, render.run_dict(run) | {"changed": changed}, f"run {run_id}: {verb}")


@runs_app.command("show")
def runs_show(run_id: str, as_json: JsonFlag = False) -> None:
    """Show a run: its contract, pins, status, decision summary and artifacts."""
    from artifacts.store import PostgresArtifactStore
    from ledger.store import PostgresLedger
    from supervisor.runs import get_run

    db = _open_db()
    run = get_run(db, run_id)
    with db.connect() as conn:
        summary = PostgresLedger(conn).summary(run_id)
        metas = PostgresArtifactStore(conn).list(run_id)
    data = render.run_dict(run) | {
        "decision_summary": render.summary_dict(summary),
        "artifacts": [render.meta_dict(m) for m in metas],
    }
    text = "\n".join(
        [render.run_text(run), render.summary_text(summary), render.artifacts_text(metas)]
    )
    _emit(as_json, data, text)


BaseDir = Annotated[
    Path,
    typer.Option("--base", help="Folder that relative source paths of the contract start from."),
]


def _graph_context(run_id: str, base: Path) -> Any:
    from core.settings import Settings
    from supervisor.graph import context_for

    settings = Settings()
    secret = settings.pii_secret.get_secret_value() if settings.pii_secret else None
    import os

    return context_for(
        _open_db(), run_id, base=base, home=settings.home, secret=secret, env=os.environ
    )


def _state_text(run_id: str, state: dict[str, Any]) -> str:
    status = state.get("status") or "running"
    choice = state.get("lane_choice") or {}
    why = "; ".join(choice.get("reasons") or [])
    lines = [f"run {run_id}: {status}", f"lane: {state.get('lane')}" + (f" ({why})" if why else "")]
    outputs = (state.get("ingest") or {}).get("outputs") or {}
    if outputs:
        lines.append(
            f"ingest: {outputs.get('rows')} rows in {outputs.get('tables')} tables, "
            f"catalog {str(outputs.get('catalog'))[:12]}, sample {str(outputs.get('sample'))[:12]}"
        )
    held = state.get("held")
    if held:
        lines.append(
            f"held at the {held['stage']} gate ({held['decision']}): {'; '.join(held['reasons'])}"
        )
        lines.append(
            f"answer with: conduit runs resume {run_id} --decision {'|'.join(held['allowed'])} "
            "--actor NAME --role ROLE"
        )
    return "\n".join(lines)


FollowFlag = Annotated[
    bool,
    typer.Option(
        "--follow", "-f", help="Show live progress per stage until the run ends (waits at holds)."
    ),
]


def _drive(
    ctx: Any,
    run_id: str,
    follow: bool,
    as_json: bool,
    *,
    action: Literal["start", "resume"] = "start",
    decision: str | None = None,
    actor: str | None = None,
    role: str | None = None,
) -> None:
    """Queue the run on its lane (``supervisor.dispatch``), follow it when asked, report the
    outcome. On Redis without --follow, returns once the run is queued."""
    from core.errors import error_for
    from core.settings import Settings
    from ledger.store import PostgresLedger
    from supervisor.dispatch import dispatch
    from supervisor.executors import ThreadLaneExecutor, executor_from_settings
    from supervisor.graph import current_state

    executor = executor_from_settings(Settings())
    try:
        sent = dispatch(
            ctx, executor, run_id, action=action, decision=decision, actor=actor, role=role
        )
        on_threads = isinstance(executor, ThreadLaneExecutor)
        if not on_threads:
            typer.echo(
                f"run {run_id}: queued on lane {sent.lane} (Redis queue {sent.queue}, job "
                f"{sent.handle.id}); `conduit worker --lane {sent.lane}` runs it",
                err=as_json,
            )
        if follow:
            from api.cli.follow import follow as follow_run

            typer.echo(f"run {run_id}: following (Ctrl-C stops following, not the run)")
            follow_run(
                ctx.db,
                run_id,
                held_info=lambda: cast(dict[str, Any], current_state(ctx, run_id)).get("held"),
                job_done=sent.handle.done,
            )
        elif not on_threads:
            if as_json:
                _emit(True, {"run_id": run_id, "queued": sent.lane, "job_id": sent.handle.id}, "")
            else:
                typer.echo(f"follow it with: conduit runs follow {run_id}")
            return
        sent.handle.result(timeout=sent.deadline_s)  # raises the job's error, with its code
    finally:
        executor.close()
    state: dict[str, Any] = dict(current_state(ctx, run_id))
    with ctx.db.connect() as conn:
        summary = PostgresLedger(conn).summary(run_id)
    _emit(
        as_json,
        state | {"decision_summary": render.summary_dict(summary)},
        _state_text(run_id, state) + "\n" + render.summary_text(summary),
    )
    error = state.get("error")
    if state.get("status") == "failed" and error:
        raise error_for(error["code"], error["message"], field=error.get("field"))


@runs_app.command("start")
def runs_start(
    run_id: str, base: BaseDir = Path("."), follow: FollowFlag = False, as_json: JsonFlag = False
) -> None:
    """Drive a run through its stages until it completes, fails or a gate holds it (queued on
    its lane: on Redis, a `conduit worker --lane NAME` runs it and this returns at once)."""
    ctx = _graph_context(run_id, base)
    _drive(ctx, run_id, follow, as_json)


@runs_app.command("resume")
def runs_resume(
    run_id: str,
    decision: Annotated[
        str | None,
        typer.Option("--decision", help="accept, reject or fix (for a run held at a gate)."),
    ] = None,
    actor: Annotated[str | None, typer.Option("--actor", help="Who decides.")] = None,
    role: Annotated[str | None, typer.Option("--role", help="Their role (§32).")] = None,
    base: BaseDir = Path("."),
    follow: FollowFlag = False,
    as_json: JsonFlag = False,
) -> None:
    """Answer a held gate and continue the run; with no decision, continue a run whose process
    stopped mid-way (a crash) from its last checkpoint."""
    ctx = _graph_context(run_id, base)
    _drive(ctx, run_id, follow, as_json, action="resume", decision=decision, actor=actor, role=role)


@runs_app.command("follow")
def runs_follow(run_id: str, as_json: JsonFlag = False) -> None:
    """Follow a run from the store (events, progress, holds) until it ends, wherever it runs."""
    from api.cli.follow import TERMINAL
    from api.cli.follow import follow as follow_run
    from core.errors import error_for
    from ledger.store import PostgresLedger
    from supervisor.graph import current_state, run_status

    ctx = _graph_context(run_id, Path("."))
    if run_status(ctx.db, run_id) not in TERMINAL:
        follow_run(
            ctx.db,
            run_id,
            held_info=lambda: cast(dict[str, Any], current_state(ctx, run_id)).get("held"),
        )
    state: dict[str, Any] = dict(current_state(ctx, run_id))
    with ctx.db.connect() as conn:
        summary = PostgresLedger(conn).summary(run_id)
    _emit(
        as_json,
        state | {"decision_summary": render.summary_dict(summary)},
        _state_text(run_id, state) + "\n" + render.summary_text(summary),
    )
    error = state.get("error")
    if state.get("status") == "failed" and error:
        raise error_for(error["code"], error["message"], field=error.get("field"))


@runs_app.command("prune-checkpoints")
def runs_prune(
    delete: Annotated[
        bool, typer.Option("--delete", help="Remove every checkpoint of finished runs.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Prune the LangGraph checkpoints of finished runs (keep the last one of each)."""
    from supervisor.graph import prune_checkpoints

    count = prune_checkpoints(_open_db(), delete=delete)
    what = "deleted" if delete else "pruned to their last checkpoint"
    _emit(as_json, {"runs": count, "deleted": delete}, f"{count} finished runs {what}")


@app.command("ledger")
def ledger_cmd(
    run_id: str,
    verify: Annotated[
        bool, typer.Option("--verify", help="Recompute the hash chain; fail naming a bad event.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Print a run's ledger events, in order; with --verify, check the hash chain."""
    from artifacts.store import PostgresArtifactStore
    from core.errors import IntegrityError
    from ledger.store import PostgresLedger
    from supervisor.runs import get_run

    db = _open_db()
    get_run(db, run_id)
    with db.connect() as conn:
        ledger = PostgresLedger(conn)
        events = ledger.events(run_id)
        kinds = {m.ref.hash: m for m in PostgresArtifactStore(conn).list(run_id)}
        check = ledger.verify(run_id) if verify else None
    data: dict[str, Any] = {"run_id": run_id, "events": [e.model_dump(mode="json") for e in events]}
    text = render.ledger_text(events, kinds)
    if check is not None:
        data["verification"] = {
            "ok": check.ok,
            "events_checked": check.events_checked,
            "problem": check.problem,
            "event_id": check.event_id,
            "seq": check.seq,
        }
        if check.ok:
            head = events[-1].event_hash if events else "-"
            text += f"\nchain verified: {check.events_checked} events, head {head}"
    _emit(as_json, data, text)
    if check is not None and not check.ok:
        raise IntegrityError(f"ledger of run {run_id} fails verification: {check.problem}")


@app.command("match")
def match_cmd(
    lhs: Annotated[
        str, typer.Option("--lhs", help="Source: a CSV/TSV/Parquet file or a read-only SQL URL.")
    ],
    rhs: Annotated[
        str, typer.Option("--rhs", help="Target: a schema YAML, or a data file with its header.")
    ],
    top_k: Annotated[
        int | None, typer.Option("--top-k", help="Keep each target column's best N sources.")
    ] = None,
    as_csv: Annotated[
        bool, typer.Option("--csv", help="Print CSV: source,target,score (best first).")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Rank every (source column, target column) pair, best first, as Mapping scores them."""
    import csv
    import io

    from supervisor.matching import match_columns

    pairs = match_columns(lhs, rhs, top_k=top_k)
    if as_csv:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["source", "target", "score"])
        writer.writerows([p["source"], p["target"], f"{p['score']:.4f}"] for p in pairs)
        typer.echo(out.getvalue(), nl=False)
        return
    width = max((len(p["target"]) for p in pairs), default=6)
    lines = [f"{'target':<{width}}  score   source"] + [
        f"{p['target']:<{width}}  {p['score']:.3f}  {p['source']}" for p in pairs
    ]
    _emit(as_json, {"pairs": pairs}, "\n".join(lines))


@artifacts_app.command("show")
def artifacts_show(
    hash: Annotated[str, typer.Argument(help="Full SHA-256, or a unique prefix of 8+ characters.")],
    as_json: JsonFlag = False,
) -> None:
    """Show one artifact (its hash is verified as it is read)."""
    from artifacts.store import PostgresArtifactStore

    db = _open_db()
    with db.connect() as conn:
        artifact = PostgresArtifactStore(conn).get(hash)
    data = render.meta_dict(artifact.meta) | {"body": artifact.body}
    body = json.dumps(artifact.body, indent=2, sort_keys=True, ensure_ascii=False)
    _emit(as_json, data, render.meta_text(artifact.meta) + "\n" + body)


@artifacts_app.command("list")
def artifacts_list(run_id: str, as_json: JsonFlag = False) -> None:
    """List a run's artifacts."""
    from artifacts.store import PostgresArtifactStore
    from supervisor.runs import get_run

    db = _open_db()
    get_run(db, run_id)
    with db.connect() as conn:
        metas = PostgresArtifactStore(conn).list(run_id)
    _emit(as_json, [render.meta_dict(m) for m in metas], render.artifacts_text(metas))


app.command("worker")(worker)
app.command("serve")(serve)


def main() -> None:
    """Entry point of the ``conduit`` script: run the app, report errors in one line."""
    from core.errors import ConduitError

    debug = "--debug" in sys.argv[1:]
    try:
        app()  # standalone: usage errors print and exit 2; our own errors come out here
    except ConduitError as e:
        if debug:
            import traceback

            traceback.print_exc()
        hint = f" [field: {e.field}]" if e.field else ""
        typer.echo(f"error: {e.one_line()}{hint}", err=True)
        sys.exit(e.exit_code)
    except Exception as e:
        if debug:
            raise
        typer.echo(
            f"error: internal error: {type(e).__name__}: {e} (run with --debug for the traceback)",
            err=True,
        )
        sys.exit(1)
