"""Domain Catalog promotion (§8): feedback -> staged deltas -> auto-tests -> live catalog.

The workflow, one function per step:

1. :func:`record_feedback`: a person accepts or overrides a column's domain; the header, both
   domains, who decided (actor, role) and the live catalog they decided against are stored.
2. :func:`proposals`: per header and decided domain, the feedback's *support* (how many decided
   it) and *precision* (their share of all feedback on that header). A header with support >= 20
   and precision >= 95% is an automatic proposal (``auto``); any other can be staged by hand.
3. :func:`stage`: deltas (an alias, a regex, examples) applied to the live catalog, validated as
   catalog YAML is (``parse_catalog``), given the next minor version (1.0.0 -> 1.1.0) and stored
   ``staged`` with the feedback behind it.
4. :func:`auto_test`: the auto-tests, a schema check and the golden eval of the candidate
   against the live catalog; the metrics before and after are stored on the staged row.
5. :func:`promote`: Analyst and above (§32 ``promote_domains``). Refused, with a ledger
   ``reject`` event, when the role is too low, the stage is untested, stale (the live catalog
   changed since it was staged or tested) or lowers any golden metric. Otherwise the candidate
   becomes live and the previous live row retired, its centroids are stored, a ledger ``accept``
   event records it and domain-dependent caches are invalidated (``live.domain_cache_key``
   changes with the live hash).

Promotions are not part of a run, so their ledger events form a chain of their own under the
run id :data:`LEDGER_RUN` (stage ``DOMAINS``; ``inputs_hash`` the previous live catalog's hash,
``outputs_hash`` the candidate's). The golden eval lives in ``evals/`` (a layer above), so the
caller passes it in as an :data:`Evaluator`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from core.canonical import content_hash
from core.errors import ContractError, DeterministicFailure, NotFoundError, PolicyBlock
from core.ids import ulid
from specialists.domains.catalog import DomainCatalog, alias_key, catalog_hash, parse_catalog
from specialists.domains.live import invalidate_domain_caches, live_catalog, live_ref, remember

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from core.db import Database
    from policy.manifest import PolicyManifest

__all__ = [
    "AUTO_PRECISION",
    "AUTO_SUPPORT",
    "LEDGER_RUN",
    "CatalogVersion",
    "Delta",
    "Evaluator",
    "Feedback",
    "PromotionRefused",
    "Proposal",
    "StageReport",
    "Verdict",
    "apply_deltas",
    "auto_test",
    "catalog_version",
    "catalog_versions",
    "promote",
    "proposals",
    "record_feedback",
    "regressions",
    "stage",
    "stage_proposals",
]

Verdict = Literal["accept", "override"]
DeltaKind = Literal["alias", "regex", "example"]
Status = Literal["staged", "live", "retired", "refused"]
#: The golden eval of a catalog: metric name -> value (``evals.domains.catalog_metrics``).
Evaluator = Callable[[DomainCatalog], Mapping[str, Any]]

AUTO_SUPPORT = 20
AUTO_PRECISION = 0.95
LEDGER_RUN = "domain-catalog"
HIGHER_IS_BETTER = ("accuracy", "high_share", "high_precision", "domains")
LOWER_IS_BETTER = ("ece", "brier")
_TOLERANCE = 1e-9
_COUNTS = ("columns", "known", "held")


class PromotionRefused(DeterministicFailure):
    """A staged catalog that may not go live (untested, stale, or lowering a golden metric)."""

    http_status_override = 409


@dataclass(frozen=True)
class Feedback:
    """A person's decision on one column's domain."""

    header: str
    decided_domain: str
    verdict: Verdict
    proposed_domain: str | None = None
    run_id: str | None = None
    table: str | None = None
    column: str | None = None


@dataclass(frozen=True)
class Delta:
    """One addition to a domain: an alias, its regex (replacing any), or a curated example."""

    kind: DeltaKind
    domain_id: str
    value: str


@dataclass(frozen=True)
class Proposal:
    """What the feedback on one header proposes: the header as an alias of ``domain_id``."""

    header: str
    domain_id: str
    support: int
    total: int
    precision: float
    auto: bool
    feedback_ids: tuple[str, ...]

    @property
    def delta(self) -> Delta:
        return Delta("alias", self.domain_id, self.header)


@dataclass(frozen=True)
class StageReport:
    """The auto-tests of a staged catalog: golden metrics of the live catalog and the candidate."""

    version: str
    live_version: str
    live_hash: str
    passed: bool
    regressions: tuple[str, ...]
    before: dict[str, Any]
    after: dict[str, Any]


@dataclass(frozen=True)
class CatalogVersion:
    """A stored catalog version and its provenance."""

    version: str
    hash: str
    parent_version: str | None
    parent_hash: str | None
    status: Status
    deltas: tuple[Delta, ...]
    feedback_ids: tuple[str, ...]
    staged_by: str
    staged_role: str
    staged_at: dt.datetime
    evaluation: dict[str, Any] | None = None
    promoted_by: str | None = None
    promoted_role: str | None = None
    promoted_at: dt.datetime | None = None
    body: dict[str, Any] = field(default_factory=dict, repr=False)

    def as_dict(self, *, with_body: bool = False) -> dict[str, Any]:
        """A JSON-ready form (the body only when asked for)."""
        data = asdict(self)
        if not with_body:
            data.pop("body")
        return data


# --- feedback and proposals ------------------------------------------------------------------


def record_feedback(db: Database, feedback: Feedback, *, actor: str, role: str) -> str:
    """Store one decision on a column's domain against the live catalog; returns its id.

    ContractError when the verdict contradicts the domains (an accept that changes the domain,
    an override that keeps it); NotFoundError when a domain is not in the live catalog.
    """
    if feedback.verdict == "accept" and feedback.proposed_domain not in (
        None,
        feedback.decided_domain,
    ):
        raise ContractError("an accept keeps the proposed domain; use override", field="verdict")
    if feedback.verdict == "override" and feedback.proposed_domain == feedback.decided_domain:
        raise ContractError("an override changes the proposed domain", field="verdict")
    if not alias_key(feedback.header):
        raise ContractError(f"header {feedback.header!r} has no word in it", field="header")
    feedback_id = ulid()
    with db.begin() as conn:
        catalog, ref = live_catalog(conn), live_ref(conn)
        for domain in {feedback.decided_domain, feedback.proposed_domain} - {None}:
            catalog.get(str(domain))
        conn.execute(
            _sql(
                "INSERT INTO domain_feedback (feedback_id, run_id, table_name, column_name,"
                " header, header_key, proposed_domain, decided_domain, verdict, actor, role,"
                " catalog_version, catalog_hash) VALUES (:id, :run, :tab, :col, :h, :k, :p, :d,"
                " :v, :a, :r, :cv, :ch)"
            ),
            {
                "id": feedback_id,
                "run": feedback.run_id,
                "tab": feedback.table,
                "col": feedback.column,
                "h": " ".join(feedback.header.split()),
                "k": alias_key(feedback.header),
                "p": feedback.proposed_domain,
                "d": feedback.decided_domain,
                "v": feedback.verdict,
                "a": actor,
                "r": role,
                "cv": ref.version,
                "ch": ref.hash,
            },
        )
    return feedback_id


def proposals(db: Database) -> list[Proposal]:
    """Aliases the feedback proposes that the live catalog lacks, automatic ones first."""
    with db.connect() as conn:
        catalog = live_catalog(conn)
        rows = conn.execute(
            _sql(
                "SELECT header_key, decided_domain, min(header) AS header, count(*) AS n,"
                " array_agg(feedback_id ORDER BY feedback_id) AS ids FROM domain_feedback"
                " GROUP BY header_key, decided_domain"
            )
        ).all()
    totals: dict[str, int] = {}
    for row in rows:
        totals[row.header_key] = totals.get(row.header_key, 0) + int(row.n)
    owned = {alias_key(a): d.id for d in catalog.domains for a in d.aliases}
    found = []
    for row in rows:
        if owned.get(row.header_key) == row.decided_domain or row.decided_domain not in catalog.ids:
            continue
        support, total = int(row.n), totals[row.header_key]
        precision = round(support / total, 4)
        auto = support >= AUTO_SUPPORT and precision >= AUTO_PRECISION
        found.append(
            Proposal(
                row.header, row.decided_domain, support, total, precision, auto, tuple(row.ids)
            )
        )
    return sorted(found, key=lambda p: (not p.auto, -p.support, p.header, p.domain_id))


# --- staging ---------------------------------------------------------------------------------


def apply_deltas(catalog: DomainCatalog, deltas: Sequence[Delta], version: str) -> DomainCatalog:
    """``catalog`` with ``deltas`` applied, as ``version``, validated as catalog YAML is
    (ContractError naming the domain and field at fault)."""
    import yaml

    if not deltas:
        raise ContractError("nothing to stage: give at least one delta", field="deltas")
    doc = catalog.model_dump(mode="json", exclude_defaults=True)
    doc["version"] = version
    by_id = {d["id"]: d for d in doc["domains"]}
    for delta in deltas:
        entry = by_id.get(delta.domain_id)
        if entry is None:
            catalog.get(delta.domain_id)  # raises NotFoundError naming the catalog
            continue
        if delta.kind == "regex":
            entry["regex"] = delta.value
        else:
            key = "aliases" if delta.kind == "alias" else "examples"
            entry[key] = [*entry.get(key, []), " ".join(delta.value.split())]
    return parse_catalog(yaml.safe_dump(doc, sort_keys=False), source=f"staged catalog {version}")


def stage(
    db: Database,
    deltas: Sequence[Delta],
    *,
    actor: str,
    role: str,
    feedback_ids: Iterable[str] = (),
) -> CatalogVersion:
    """Apply ``deltas`` to the live catalog and store the result, as the next minor version,
    with status ``staged``."""
    with db.begin() as conn:
        conn.execute(_sql("SELECT pg_advisory_xact_lock(hashtextextended('domain-catalogs', 0))"))
        live, ref = live_catalog(conn), live_ref(conn)
        candidate = apply_deltas(live, deltas, _next_version(conn, ref.version))
        digest = catalog_hash(candidate)
        conn.execute(
            _sql(
                "INSERT INTO domain_catalogs (version, hash, parent_version, parent_hash, status,"
                " body, deltas, feedback_ids, staged_by, staged_role) VALUES (:v, :h, :pv, :ph,"
                " 'staged', CAST(:b AS jsonb), CAST(:d AS jsonb), CAST(:f AS jsonb), :a, :r)"
            ),
            {
                "v": candidate.version,
                "h": digest,
                "pv": ref.version,
                "ph": ref.hash,
                "b": json.dumps(candidate.model_dump(mode="json")),
                "d": json.dumps([asdict(d) for d in deltas]),
                "f": json.dumps(sorted(set(feedback_ids))),
                "a": actor,
                "r": role,
            },
        )
        return _version(conn, candidate.version)


def stage_proposals(
    db: Database, found: Sequence[Proposal], *, actor: str, role: str
) -> CatalogVersion:
    """Stage the aliases of ``found`` (e.g. the automatic proposals) with their feedback."""
    if not found:
        raise ContractError("no proposal to stage", field="proposals")
    ids = [i for p in found for i in p.feedback_ids]
    return stage(db, [p.delta for p in found], actor=actor, role=role, feedback_ids=ids)


def _next_version(conn: Connection, live_version: str) -> str:
    stored = conn.execute(_sql("SELECT version FROM domain_catalogs")).scalars().all()
    major, minor, _ = max(_semver(v) for v in [live_version, *stored])
    return f"{major}.{minor + 1}.0"


# --- auto-tests ------------------------------------------------------------------------------


def regressions(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[str, ...]:
    """The golden metrics ``after`` is worse on than ``before`` (beyond 1e-9), each named with
    both values; a metric measured before and not after is worse.

    Example:
        >>> regressions({"accuracy": 0.9, "ece": 0.1}, {"accuracy": 0.9, "ece": 0.2})
        ('ece 0.1 -> 0.2',)
    """
    worse = []
    for name in (*HIGHER_IS_BETTER, *LOWER_IS_BETTER):
        old, new = before.get(name), after.get(name)
        if old is None:
            continue
        sign = 1.0 if name in HIGHER_IS_BETTER else -1.0
        if new is None or sign * (float(new) - float(old)) < -_TOLERANCE:
            worse.append(f"{name} {old} -> {new}")
    return tuple(worse)


def _figures(metrics: Mapping[str, Any]) -> dict[str, Any]:
    return {k: metrics.get(k) for k in (*HIGHER_IS_BETTER, *LOWER_IS_BETTER, *_COUNTS)}


def auto_test(db: Database, version: str, evaluate: Evaluator) -> StageReport:
    """Schema-check the staged ``version`` and run the golden eval on it and on the live
    catalog; store both on the staged row. ``passed`` is False when any metric got worse."""
    with db.connect() as conn:
        staged = _version(conn, version)
        live, ref = live_catalog(conn), live_ref(conn)
    _require_status(staged, "staged", "test")
    candidate = _schema_check(staged, live)
    before, after = _figures(evaluate(live)), _figures(evaluate(candidate))
    worse = regressions(before, after)
    report = StageReport(version, ref.version, ref.hash, not worse, worse, before, after)
    with db.begin() as conn:
        conn.execute(
            _sql(
                "UPDATE domain_catalogs SET evaluation = CAST(:e AS jsonb), tested_at = now()"
                " WHERE version = :v AND status = 'staged'"
            ),
            {"v": version, "e": json.dumps(asdict(report))},
        )
    return report


def _schema_check(staged: CatalogVersion, live: DomainCatalog) -> DomainCatalog:
    """The staged body re-validated as catalog YAML, still hashing as stored and keeping every
    domain of the live catalog."""
    import yaml

    source = f"staged catalog {staged.version}"
    candidate = parse_catalog(yaml.safe_dump(staged.body, sort_keys=False), source=source)
    remember(candidate, staged.hash)
    missing = sorted(set(live.ids) - set(candidate.ids))
    if missing:
        raise ContractError(f"{source} drops live domains {missing}", field="domains")
    return candidate


# --- promotion -------------------------------------------------------------------------------


def promote(
    db: Database, version: str, *, actor: str, role: str, manifest: PolicyManifest
) -> CatalogVersion:
    """Make the staged, tested ``version`` live (Analyst and above under ``manifest``).

    A refusal is recorded on the ledger (decision ``reject``) before it is raised: PolicyBlock
    for a role below Analyst, PromotionRefused for an untested, stale or regressing stage.
    """
    from policy.rbac import require

    with db.connect() as conn:
        staged = _version(conn, version)
        ref = live_ref(conn)
    try:
        require(manifest, role, "promote_domains", actor=actor)
        _require_promotable(staged, ref.hash)
    except (PolicyBlock, PromotionRefused) as refusal:
        with db.begin() as conn:
            if isinstance(refusal, PromotionRefused) and _regressed(staged):
                _set_status(conn, version, "refused")
            _ledger(conn, staged, ref.hash, actor, manifest, refusal)
        raise
    with db.begin() as conn:
        conn.execute(_sql("SELECT pg_advisory_xact_lock(hashtextextended('domain-catalogs', 0))"))
        if live_ref(conn).hash != ref.hash:
            raise PromotionRefused(f"the live catalog changed while promoting {version}; retry")
        _go_live(conn, staged, actor, role)
        _ledger(conn, staged, ref.hash, actor, manifest, None)
        promoted = _version(conn, version)
    invalidate_domain_caches()
    return promoted


def _require_promotable(staged: CatalogVersion, live_hash: str) -> None:
    _require_status(staged, "staged", "promote")
    if staged.parent_hash != live_hash:
        raise PromotionRefused(
            f"catalog {staged.version} was staged from {staged.parent_version}, which is no "
            "longer live; stage the deltas again on the live catalog",
            field="version",
        )
    evaluation = staged.evaluation
    if evaluation is None:
        raise PromotionRefused(
            f"catalog {staged.version} has not been tested; run `conduit domains test "
            f"{staged.version}` first",
            field="version",
        )
    if evaluation["live_hash"] != live_hash:
        raise PromotionRefused(
            f"catalog {staged.version} was tested against another live catalog; test it again",
            field="version",
        )
    if not evaluation["passed"]:
        raise PromotionRefused(
            f"catalog {staged.version} lowers golden metrics: "
            + "; ".join(evaluation["regressions"]),
            field="evaluation",
        )


def _regressed(staged: CatalogVersion) -> bool:
    return bool(staged.evaluation and staged.evaluation.get("regressions"))


def _go_live(conn: Connection, staged: CatalogVersion, actor: str, role: str) -> None:
    from specialists.domains.vectors import store_centroids

    conn.execute(
        _sql(
            "UPDATE domain_catalogs SET status = 'retired', retired_at = now()"
            " WHERE status = 'live'"
        )
    )
    conn.execute(
        _sql(
            "UPDATE domain_catalogs SET status = 'live', promoted_by = :a, promoted_role = :r,"
            " promoted_at = now() WHERE version = :v"
        ),
        {"a": actor, "r": role, "v": staged.version},
    )
    candidate = remember(DomainCatalog.model_validate(staged.body), staged.hash)
    store_centroids(conn, candidate, staged.hash)


def _ledger(
    conn: Connection,
    staged: CatalogVersion,
    live_hash: str,
    actor: str,
    manifest: PolicyManifest,
    refusal: PolicyBlock | PromotionRefused | None,
) -> None:
    from ledger.events import HumanConfirmation, LedgerEvent
    from ledger.store import PostgresLedger

    now = dt.datetime.now(dt.UTC)
    PostgresLedger(conn).append(
        LedgerEvent(
            run_id=LEDGER_RUN,
            stage="DOMAINS",
            decision="accept" if refusal is None else "reject",
            inputs_hash=live_hash,
            outputs_hash=staged.hash,
            params_hash=content_hash(staged.evaluation) if staged.evaluation else None,
            policy_version=manifest.version,
            error_code=None if refusal is None else refusal.code,
            error_detail_id=f"domain_catalogs:{staged.version}",
            human_confirmation=HumanConfirmation(required=True, actor=actor, timestamp=now),
        )
    )


# --- reading ---------------------------------------------------------------------------------


def catalog_versions(db: Database) -> list[CatalogVersion]:
    """Every stored catalog version, oldest first (bodies left out)."""
    with db.connect() as conn:
        rows = conn.execute(_sql(f"SELECT {_COLUMNS} FROM domain_catalogs")).all()
    versions = [_from_row(row, with_body=False) for row in rows]
    return sorted(versions, key=lambda v: _semver(v.version))


def catalog_version(db: Database, version: str) -> CatalogVersion:
    """The stored catalog ``version`` with its body; NotFoundError naming the stored ones."""
    with db.connect() as conn:
        return _version(conn, version)


_COLUMNS = (
    "version, hash, parent_version, parent_hash, status, deltas, feedback_ids, staged_by,"
    " staged_role, staged_at, evaluation, promoted_by, promoted_role, promoted_at"
)


def _version(conn: Connection, version: str) -> CatalogVersion:
    row = conn.execute(
        _sql(f"SELECT {_COLUMNS}, body FROM domain_catalogs WHERE version = :v"), {"v": version}
    ).first()
    if row is None:
        known = conn.execute(_sql("SELECT version FROM domain_catalogs")).scalars().all()
        stored = ", ".join(sorted(known, key=_semver)) or "none"
        raise NotFoundError(
            f"no stored domain catalog {version} (stored: {stored})", field="version"
        )
    return _from_row(row, with_body=True)


def _from_row(row: Any, *, with_body: bool) -> CatalogVersion:
    return CatalogVersion(
        version=row.version,
        hash=row.hash.strip(),
        parent_version=row.parent_version,
        parent_hash=row.parent_hash.strip() if row.parent_hash else None,
        status=row.status,
        deltas=tuple(Delta(**d) for d in row.deltas),
        feedback_ids=tuple(row.feedback_ids),
        staged_by=row.staged_by,
        staged_role=row.staged_role,
        staged_at=row.staged_at,
        evaluation=row.evaluation,
        promoted_by=row.promoted_by,
        promoted_role=row.promoted_role,
        promoted_at=row.promoted_at,
        body=row.body if with_body else {},
    )


def _require_status(staged: CatalogVersion, status: Status, what: str) -> None:
    if staged.status != status:
        raise PromotionRefused(
            f"catalog {staged.version} is {staged.status}; only a {status} catalog can {what}",
            field="version",
        )


def _set_status(conn: Connection, version: str, status: Status) -> None:
    conn.execute(
        _sql("UPDATE domain_catalogs SET status = :s WHERE version = :v"),
        {"s": status, "v": version},
    )


def _semver(version: str) -> tuple[int, int, int]:
    major, minor, patch = (int(x) for x in version.split("."))
    return major, minor, patch


def _sql(statement: str) -> Any:
    from sqlalchemy import text

    return text(statement)
