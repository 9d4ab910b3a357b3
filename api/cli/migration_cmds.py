"""``conduit migrations ...``: start, watch, promote a run's migration; export and release its
quarantine. Each command calls one function of ``supervisor.migration``.

``start`` prints one progress line per chunk (chunks done, rows, rows/s, ETA) to stderr; a
SIGKILL at any point loses nothing: ``start`` again resumes the same attempt.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from api.cli.common import open_db

migrations_app = typer.Typer(
    help="A run's migration: start/resume, status, promote, quarantine export and release.",
    no_args_is_help=True,
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
BaseDir = Annotated[
    Path, typer.Option("--base", help="The folder the contract's relative paths start from.")
]
Actor = Annotated[str, typer.Option("--actor", help="Who does it (recorded on the ledger).")]
Role = Annotated[str, typer.Option("--role", help="Their role (§32): operator and above.")]


def _context(run_id: str, base: Path) -> Any:
    from core.settings import Settings
    from supervisor.graph import context_for

    settings = Settings()
    secret = settings.pii_secret.get_secret_value() if settings.pii_secret else None
    return context_for(
        open_db(), run_id, base=base, home=settings.home, secret=secret, env=os.environ
    )


def _progress(p: dict[str, Any]) -> None:
    rate = f"{p['rows_per_s']:,.0f} rows/s" if p.get("rows_per_s") else "- rows/s"
    eta = f"ETA {p['eta_s']:.0f} s" if p.get("eta_s") is not None else "ETA -"
    typer.echo(f"  chunks {p['done']}/{p['chunks']}  rows {p['rows']:,}  {rate}  {eta}", err=True)


def _text(summary: dict[str, Any]) -> str:
    out = summary.get("outcome") or {}
    rows = out.get("rows") or {}
    lines = [
        f"migration {summary['migration_id']} ({summary['kind']}, {summary['strategy']}): "
        f"{summary['status']}",
        f"  target {summary['target']['dialect']} table {summary['target']['table']}; "
        f"strategy: {summary['strategy_reason']}",
        f"  rows: source {rows.get('source', '-')}, staged {rows.get('staged', '-')}, "
        f"no-op {rows.get('noop', '-')}, quarantined {rows.get('quarantined', '-')}",
    ]
    for name, check in (out.get("validations") or {}).items():
        lines.append(f"  check {name:<14} {'ok' if check['ok'] else 'FAILED'}")
    if promotion := out.get("promotion"):
        lines.append(
            f"  promoted by {promotion['mode']}: {promotion['rows']} rows, "
            f"{promotion['changed']} changed"
        )
    lines.append(f"  Migration Run artifact {summary['artifact'][:16]}")
    return "\n".join(lines)


def _emit(as_json: bool, data: dict[str, Any]) -> None:
    typer.echo(json.dumps(data, indent=2, default=str) if as_json else _text(data))


@migrations_app.command("start")
def migrations_start(
    run_id: str,
    base: BaseDir = Path("."),
    workers: Annotated[int, typer.Option(help="Worker threads (or batch-lane jobs).")] = 2,
    fresh: Annotated[
        bool,
        typer.Option(
            "--fresh", help="Migrate again after a promotion (unchanged chunks are no-ops)."
        ),
    ] = False,
    promote: Annotated[
        bool,
        typer.Option("--promote", help="Promote when validation passes (needs --actor/--role)."),
    ] = False,
    actor: Annotated[str | None, typer.Option("--actor")] = None,
    role: Annotated[str | None, typer.Option("--role")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Stage and validate the run's migration (resuming an unfinished one)."""
    from core.contract import parse_contract
    from supervisor.migration import promote as promote_run
    from supervisor.migration import redis_url_from, stage_migration
    from supervisor.runs import get_run

    ctx = _context(run_id, base)
    contract = parse_contract(get_run(ctx.db, run_id).contract)
    summary = stage_migration(
        ctx.db,
        run_id,
        contract=contract,
        manifest=ctx.manifest,
        pii_key=ctx.pii_key,
        base=base.resolve(),
        env=os.environ,
        workers=workers,
        fresh=fresh,
        progress=_progress,
        redis_url=redis_url_from(),
    )
    if promote and summary["status"] == "validated":
        summary = promote_run(
            ctx.db,
            run_id,
            manifest=ctx.manifest,
            pii_key=ctx.pii_key,
            actor=actor or contract.rbac_actor.user_id,
            role=role or contract.rbac_actor.role,
        )
    _emit(as_json, summary)


@migrations_app.command("status")
def migrations_status(run_id: str, as_json: JsonFlag = False) -> None:
    """The run's latest migration: progress, per-chunk checkpoints, validations, promotion."""
    from supervisor.migration import migration_status

    _emit(as_json, migration_status(open_db(), run_id))


@migrations_app.command("promote")
def migrations_promote(
    run_id: str, actor: Actor, role: Role, base: BaseDir = Path("."), as_json: JsonFlag = False
) -> None:
    """Promote the validated staging into the final table, in one transaction."""
    from supervisor.migration import promote

    ctx = _context(run_id, base)
    summary = promote(
        ctx.db, run_id, manifest=ctx.manifest, pii_key=ctx.pii_key, actor=actor, role=role
    )
    _emit(as_json, summary)


@migrations_app.command("release")
def migrations_release(
    run_id: str, actor: Actor, role: Role, base: BaseDir = Path("."), as_json: JsonFlag = False
) -> None:
    """Migrate the held quarantine rows again after a fix; promote those that now pass."""
    from supervisor.migration import release

    ctx = _context(run_id, base)
    summary = release(
        ctx.db, run_id, manifest=ctx.manifest, pii_key=ctx.pii_key, actor=actor, role=role
    )
    if as_json:
        typer.echo(json.dumps(summary, indent=2, default=str))
    else:
        typer.echo(
            f"released {summary['released']}, still quarantined {summary['still_quarantined']}"
        )


@migrations_app.command("quarantine")
def migrations_quarantine(
    run_id: str,
    actor: Actor,
    role: Role,
    fmt: Annotated[str, typer.Option("--format", help="json or csv.")] = "json",
    all_records: Annotated[bool, typer.Option("--all", help="Released records too.")] = False,
) -> None:
    """Export the run's quarantine records (§37; masked previews only)."""
    from supervisor.migration import export_quarantine

    records = export_quarantine(
        open_db(), run_id, actor=actor, role=role, held_only=not all_records
    )
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["chunk_id", "key", "reason_codes", "before", "after", "status"])
        for r in records:
            writer.writerow(
                [
                    r["chunk_id"],
                    r["key"],
                    " ".join(r["reason_codes"]),
                    json.dumps(r["masked_preview_before"]),
                    json.dumps(r["masked_preview_after"]),
                    r["status"],
                ]
            )
        sys.stdout.write(out.getvalue())
    else:
        typer.echo(json.dumps(records, indent=2, default=str))
