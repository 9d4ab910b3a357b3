"""``conduit policy ...`` and ``conduit eval``: the Policy Engine's and the golden sets'
command-line faces.

``conduit eval DIR`` runs the golden cases under DIR (GOLDEN_FORMAT.md); ``conduit eval pii``
runs the PII set. ``DIR`` is taken as the ``golden`` subcommand's argument, so both spellings
of the format work: ``conduit eval DIR --json`` and ``conduit eval golden DIR --json``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from api.cli.common import open_db


class _EvalGroup(TyperGroup):
    """``conduit eval DIR`` means ``conduit eval golden DIR``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # typer's vendored Context
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["golden", *args]
        return super().parse_args(ctx, args)


policy_app = typer.Typer(help="Policy Manifests and policy checks.", no_args_is_help=True)
eval_app = typer.Typer(
    cls=_EvalGroup,
    help="Score Conduit on golden sets: `conduit eval DIR` or `conduit eval pii [DIR]`.",
    no_args_is_help=True,
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def _emit(as_json: bool, data: Any, text: str) -> None:
    typer.echo(json.dumps(data, indent=2, sort_keys=True, default=str) if as_json else text)


@policy_app.command("list")
def policy_list(as_json: JsonFlag = False) -> None:
    """List the stored Policy Manifest versions (new runs pin the newest)."""
    from supervisor.policies import all_manifests

    rows = [
        {"version": m.version, "hash": m.content_hash, "description": m.description}
        for m in all_manifests(open_db())
    ]
    text = "\n".join(f"{r['version']:<10} {r['hash'][:12]}  {r['description']}" for r in rows)
    _emit(as_json, rows, text)


@policy_app.command("show")
def policy_show(
    version: Annotated[str | None, typer.Argument(help="Version; the newest when omitted.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Show a Policy Manifest as stored."""
    import yaml

    from supervisor.policies import manifest_version

    manifest = manifest_version(open_db(), version)
    doc = manifest.model_dump(mode="json")
    text = f"# policy {manifest.version}  sha256:{manifest.content_hash}\n" + yaml.safe_dump(
        doc, sort_keys=False
    )
    _emit(as_json, {"hash": manifest.content_hash, "manifest": doc}, text.rstrip())


@policy_app.command("publish")
def policy_publish(
    file: Annotated[Path, typer.Argument(help="The new manifest (YAML).", metavar="FILE")],
    actor: Annotated[str, typer.Option("--actor", help="Who publishes it.")],
    role: Annotated[str, typer.Option("--role", help="Their role (Maintainer or Admin).")],
    as_json: JsonFlag = False,
) -> None:
    """Store a new Policy Manifest version (Maintainer/Admin; versions only go up)."""
    from core.errors import ContractError
    from supervisor.policies import publish_manifest

    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ContractError(f"cannot read {file}: {e}", field="FILE") from None
    manifest = publish_manifest(open_db(), text, actor=actor, role=role)
    data = {"version": manifest.version, "hash": manifest.content_hash}
    _emit(as_json, data, f"published policy {manifest.version} sha256:{manifest.content_hash}")


@policy_app.command("check")
def policy_check_cmd(
    request: Annotated[Path, typer.Argument(help="A policy request (YAML or JSON).")],
    table: Annotated[
        list[Path] | None,
        typer.Option("--table", help="Add a CSV file to the request's tables (repeatable)."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Dry-run the Policy Engine on a request: the decision, and what would be masked (never a
    value). Exit 0 when it would be allowed, 10 (POLICY_BLOCK) when not."""
    from core.contract import load_contract_file
    from core.csvtable import read_csv_table
    from core.errors import CODES
    from supervisor.policies import check_request

    doc = load_contract_file(request)
    for path in table or []:
        doc.setdefault("tables", []).append({"name": path.stem, "columns": read_csv_table(path)})
    decision, _ = check_request(open_db(), doc)
    data = decision.model_dump(mode="json")
    _emit(as_json, data, _decision_text(data))
    if not decision.allowed:
        raise typer.Exit(CODES["POLICY_BLOCK"].exit_code)


def _decision_text(data: dict[str, Any]) -> str:
    audit = data["audit"]
    lines = [
        f"decision: {'allow' if data['allowed'] else 'deny'} (policy {audit['policy_version']}, "
        f"{audit['provider']}/{audit['model']} -> {audit['destination']})",
    ]
    lines += [f"  reason [{r['kind']}] {r['field']}: {r['message']}" for r in data["reasons"]]
    if data["would_mask"]:
        lines.append("would mask:")
        lines += [
            f"  {w['location']:<32} {w['entity']:<20} {w['operator']:<10} {w['cells']:>6}  "
            f"{w['evidence']}"
            for w in data["would_mask"]
        ]
    return "\n".join(lines)


@eval_app.command("golden")
def eval_golden(
    directory: Annotated[
        Path | None,
        typer.Argument(
            help="Cases (folders with case.yaml, see GOLDEN_FORMAT.md); the project's golden "
            "set (evals/golden) when omitted.",
            metavar="DIR",
        ),
    ] = None,
    routing_profile: Annotated[
        str,
        typer.Option(
            "--routing-profile",
            help="The runs' routing profile: quality_first, cost_first, latency_first, "
            "offline_first.",
        ),
    ] = "quality_first",
    nightly: Annotated[
        bool,
        typer.Option(
            "--nightly",
            help="Run once per routing profile and compare each with its previous stored eval.",
        ),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Run every golden case as a real run and score it: mapping (P/R/F1), cells, domains,
    calibration, held decisions; each eval is stored as an artifact and a ledger event."""
    from typing import get_args

    from core.contract import RoutingProfile
    from core.errors import ContractError
    from core.settings import Settings
    from evals.golden import run_golden_eval, run_nightly
    from evals.golden_cases import GOLDEN

    root = directory if directory is not None else GOLDEN
    if not root.is_dir():
        raise ContractError(f"{root} is not a directory", field="DIR")
    settings = Settings()
    secret = settings.pii_secret.get_secret_value() if settings.pii_secret else None

    def progress(case: dict[str, Any]) -> None:
        f1 = (case["mapping"] or {}).get("f1")
        what = case["error"] or (
            f"{case['status']}, mapping F1 {_f4(f1)}, cells {_f4(case['cells'])}, "
            f"domains {_f4(case['domains'])}"
        )
        typer.echo(f"case {case['name']}: {what} ({case['seconds']} s)", err=True)

    if routing_profile not in get_args(RoutingProfile):
        raise ContractError(
            f"unknown routing profile {routing_profile!r}: use one of "
            + ", ".join(get_args(RoutingProfile)),
            field="--routing-profile",
        )
    if nightly:
        runs = run_nightly(open_db(), root, home=settings.home, secret=secret, progress=progress)
        text = "\n".join(
            f"{r['routing_profile']:<14} "
            f"mapping F1 {_f4((r['summary']['mapping'] or {}).get('f1'))}"
            f"  cells {_f4(r['summary']['cells'])}  held {r['summary']['held']}"
            f"  vs previous: {r['delta'] if r['delta'] is not None else 'none stored'}"
            for r in runs["runs"]
        )
        _emit(as_json, runs, text)
        return
    report = run_golden_eval(
        open_db(),
        root,
        home=settings.home,
        secret=secret,
        progress=progress,
        routing_profile=routing_profile,
    )
    if as_json:
        _emit(True, report, "")
        return
    s, m = report["summary"], report["summary"]["domain_metrics"]
    mp = s["mapping"] or {}
    lines = [
        f"cases {s['cases']}  errors {s['errors']}  held {s['held']}  ({s['seconds']} s)",
        f"mapping  precision {_f4(mp.get('precision'))}  recall {_f4(mp.get('recall'))}  "
        f"F1 {_f4(mp.get('f1'))}",
        f"cells    {_f4(s['cells'])} of expected target cells produced exactly",
        f"domains  accuracy {_f4(m['accuracy'])} over {m['known']} columns with an expected "
        f"domain; assigned High {_f4(m['high_share'])} (precision {_f4(m['high_precision'])}); "
        f"all listed {_f4(m['domains'])} over {m['columns']}",
        f"calibration  ECE {m['ece']:.4f}  Brier {m['brier']:.4f}",
        f"{'confidence bin':<16} {'columns':>7} {'confidence':>10} {'accuracy':>8}",
    ]
    lines += [
        f"{b['bin']:<16.1f} {b['count']:>7} {b['confidence']:>10.3f} {b['accuracy']:>8.3f}"
        for b in m["reliability"]
    ]
    lines += [f"error: {c['name']}: {c['error']}" for c in report["cases"] if c["error"]]
    _emit(False, report, "\n".join(lines))


@eval_app.command("pii")
def eval_pii(
    directory: Annotated[
        Path | None,
        typer.Argument(
            help="Cases (folders with table.csv + labels.csv); the project's set when omitted.",
            metavar="DIR",
        ),
    ] = None,
    baseline: Annotated[
        bool, typer.Option("--baseline/--no-baseline", help="Also score vanilla Presidio.")
    ] = True,
    as_json: JsonFlag = False,
) -> None:
    """Recall and precision of PII masking over labeled cells, beside vanilla Presidio."""
    from core.errors import ContractError
    from evals.pii import per_entity_table, run_pii_eval

    if directory is not None and not directory.is_dir():
        raise ContractError(f"{directory} is not a directory", field="DIR")
    report = run_pii_eval(directory, baseline=baseline)
    if as_json:
        _emit(True, report, "")
        return
    o = report["overall"]
    lines = [
        f"cases {report['cases']}  labeled cells {o['cells']}  masked {o['found']}  "
        f"({report['seconds']} s)",
        f"overall  recall {_f4(o['recall'])}  precision {_f4(o['precision'])}",
    ]
    if "baseline" in report:
        b = report["baseline"]["overall"]
        lines.append(
            f"vanilla Presidio  recall {_f4(b['recall'])}  precision {_f4(b['precision'])}"
        )
    lines.append(f"{'entity':<20} {'found':>9} {'recall':>7} {'vanilla':>8}")
    lines += [f"{e:<20} {f:>9} {r:>7} {v:>8}" for e, f, r, v in per_entity_table(report)]
    lines += [f"error: {e['case']}: {e['error']}" for e in report["errors"]]
    _emit(False, report, "\n".join(lines))


def _f4(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"
