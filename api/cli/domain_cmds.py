"""``conduit domains ...``: the Domain Catalog's promotion workflow (§8) on the command line.

feedback -> proposals -> stage -> test -> promote, and list/show. Each command calls one function
of ``specialists.domains.promotion``; ``test`` hands it the golden eval of ``evals.domains``
(the workflow cannot import the eval layer itself), ``promote`` the newest stored Policy
Manifest, whose RBAC decides who may promote (Analyst and above, §32).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from api.cli.common import open_db

if TYPE_CHECKING:
    from specialists.domains.promotion import CatalogVersion, Delta, Evaluator, Verdict

domains_app = typer.Typer(
    help="The Domain Catalog: feedback, staged versions, auto-tests, promotion.",
    no_args_is_help=True,
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
Actor = Annotated[str, typer.Option("--actor", help="Who does it (recorded as provenance).")]
Role = Annotated[str, typer.Option("--role", help="Their role (viewer, analyst, ... admin).")]
Version = Annotated[str, typer.Argument(help="A stored catalog version, e.g. 1.1.0.")]
Pairs = Annotated[
    list[str] | None,
    typer.Option(help="DOMAIN=TEXT (repeatable).", metavar="DOMAIN=TEXT"),
]


def _emit(as_json: bool, data: Any, text: str) -> None:
    typer.echo(json.dumps(data, indent=2, sort_keys=True, default=str) if as_json else text)


def _line(v: CatalogVersion) -> str:
    tested = (
        "untested"
        if v.evaluation is None
        else ("passed" if v.evaluation["passed"] else "regresses")
    )
    return (
        f"{v.version:<8} {v.status:<8} {v.hash[:12]}  {tested:<9} "
        f"from {v.parent_version}  by {v.staged_by}"
    )


@domains_app.command("feedback")
def domains_feedback(
    header: Annotated[str, typer.Argument(help="The column header as the source writes it.")],
    domain: Annotated[str, typer.Argument(help="The domain the person decided on.")],
    actor: Actor,
    role: Role,
    proposed: Annotated[
        str | None, typer.Option(help="The domain Conduit proposed (if any).")
    ] = None,
    run_id: Annotated[str | None, typer.Option("--run", help="The run it was decided in.")] = None,
    table: Annotated[str | None, typer.Option(help="The source table.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Record an accept (DOMAIN is the proposed one) or an override of a column's domain."""
    from specialists.domains.promotion import Feedback, record_feedback

    verdict: Verdict = "accept" if proposed in (None, domain) else "override"
    feedback = Feedback(
        header, domain, verdict, proposed, run_id=run_id, table=table, column=header
    )
    feedback_id = record_feedback(open_db(), feedback, actor=actor, role=role)
    data = {"feedback_id": feedback_id, "verdict": verdict}
    _emit(as_json, data, f"recorded {verdict} of {domain} for {header!r} ({feedback_id})")


@domains_app.command("proposals")
def domains_proposals(as_json: JsonFlag = False) -> None:
    """Aliases the feedback proposes (auto: support >= 20 and precision >= 95%)."""
    from specialists.domains.promotion import proposals

    found = proposals(open_db())
    rows = [
        {
            "header": p.header,
            "domain_id": p.domain_id,
            "support": p.support,
            "total": p.total,
            "precision": p.precision,
            "auto": p.auto,
        }
        for p in found
    ]
    text = "\n".join(
        f"{'auto' if r['auto'] else '    '}  {r['header']!r} -> {r['domain_id']}  "
        f"support {r['support']}/{r['total']}  precision {r['precision']:.2%}"
        for r in rows
    )
    _emit(as_json, rows, text or "no proposals")


def _deltas(kind: str, pairs: list[str] | None) -> list[Delta]:
    from core.errors import ContractError
    from specialists.domains.promotion import Delta

    out = []
    for pair in pairs or []:
        domain, sep, value = pair.partition("=")
        if not sep or not domain or not value:
            raise ContractError(f"--{kind} takes DOMAIN=TEXT, not {pair!r}", field=f"--{kind}")
        out.append(Delta(kind, domain.strip(), value))  # type: ignore[arg-type]
    return out


@domains_app.command("stage")
def domains_stage(
    actor: Actor,
    role: Role,
    auto: Annotated[
        bool, typer.Option("--auto", help="Stage every automatic proposal of the feedback.")
    ] = False,
    alias: Pairs = None,
    regex: Pairs = None,
    example: Pairs = None,
    as_json: JsonFlag = False,
) -> None:
    """Stage a new catalog version: the live catalog plus aliases, regexes and examples."""
    from core.errors import ContractError
    from specialists.domains.promotion import proposals, stage

    db = open_db()
    picked = [p for p in proposals(db) if p.auto] if auto else []
    if auto and not picked:
        raise ContractError("no automatic proposal to stage", field="--auto")
    deltas = [p.delta for p in picked]
    deltas += _deltas("alias", alias) + _deltas("regex", regex) + _deltas("example", example)
    ids = [i for p in picked for i in p.feedback_ids]
    staged = stage(db, deltas, actor=actor, role=role, feedback_ids=ids)
    _emit(as_json, staged.as_dict(), f"staged {_line(staged)}")


def _golden(profile_id: str) -> Evaluator:
    from core.errors import NotFoundError
    from core.profiles import bundled_profiles
    from evals.domains import catalog_metrics
    from evals.golden_cases import GOLDEN
    from specialists.domains.catalog import DomainCatalog
    from specialists.domains.run import DomainSettings

    profiles = {p.profile_id: p for p in bundled_profiles()}
    if profile_id not in profiles:
        known = ", ".join(sorted(profiles))
        raise NotFoundError(
            f"no threshold profile {profile_id} (known: {known})", field="--profile"
        )
    settings = DomainSettings.of(profiles[profile_id])

    def evaluate(catalog: DomainCatalog) -> dict[str, Any]:
        return catalog_metrics(catalog, [GOLDEN], settings)[0]

    return evaluate


@domains_app.command("test")
def domains_test(
    version: Version,
    profile: Annotated[
        str, typer.Option(help="The threshold profile the golden eval scores with.")
    ] = "tp_default_v2",
    as_json: JsonFlag = False,
) -> None:
    """Schema-check a staged version and run the golden eval on it and on the live catalog."""
    from dataclasses import asdict

    from specialists.domains.promotion import auto_test

    report = auto_test(open_db(), version, _golden(profile))
    lines = [f"{version} against live {report.live_version}: "
             + ("passed" if report.passed else "lowers golden metrics")]  # fmt: skip
    lines += [f"  {name:<15} {report.before[name]!s:>9} -> {report.after[name]!s:<9}"
              for name in sorted(report.before)]  # fmt: skip
    lines += [f"  worse: {r}" for r in report.regressions]
    _emit(as_json, asdict(report), "\n".join(lines))


@domains_app.command("promote")
def domains_promote(version: Version, actor: Actor, role: Role, as_json: JsonFlag = False) -> None:
    """Make a staged, tested version live (Analyst and above; refused if it lowers a metric)."""
    from specialists.domains.promotion import promote
    from supervisor.policies import manifest_version

    db = open_db()
    promoted = promote(db, version, actor=actor, role=role, manifest=manifest_version(db, None))
    _emit(as_json, promoted.as_dict(), f"promoted {_line(promoted)}")


@domains_app.command("list")
def domains_list(as_json: JsonFlag = False) -> None:
    """List the stored catalog versions (the bundled 1.0.0 is live until one is promoted)."""
    from specialists.domains.promotion import catalog_versions

    versions = catalog_versions(open_db())
    text = (
        "\n".join(_line(v) for v in versions) or "no stored versions: the bundled catalog is live"
    )
    _emit(as_json, [v.as_dict() for v in versions], text)


@domains_app.command("show")
def domains_show(
    version: Annotated[
        str | None, typer.Argument(help="A stored version; the live catalog when omitted.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Show a catalog version: its provenance and evaluation, or the live catalog's identity."""
    from specialists.domains.live import domain_cache_key, live_ref
    from specialists.domains.promotion import catalog_version

    db = open_db()
    if version is None:
        with db.connect() as conn:
            ref, key = live_ref(conn), domain_cache_key(conn)
        data = {"version": ref.version, "hash": ref.hash, "bundled": ref.bundled, "cache_key": key}
        _emit(as_json, data, f"live {ref.version} sha256:{ref.hash}  cache key {key}")
        return
    shown = catalog_version(db, version)
    data = shown.as_dict()
    _emit(as_json, data, json.dumps(data, indent=2, sort_keys=True, default=str))
