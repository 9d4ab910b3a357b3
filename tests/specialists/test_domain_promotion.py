"""Domain Catalog promotion (§8, §32): feedback -> staged alias -> auto-tests -> promote.

Each test gets a database of its own (created on the session's embedded server and migrated), so
a catalog promoted here never becomes the live catalog of another test. Metric values are never
asserted: the golden eval is compared with itself, live against candidate.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from core.db import Database
from core.errors import ContractError, NotFoundError, PolicyBlock
from core.migrate import ensure_schema
from core.profiles import bundled_profiles
from evals.domains import catalog_metrics
from evals.golden_cases import GOLDEN
from ledger.store import PostgresLedger
from policy.manifest import current_manifest
from specialists.domains.assign import Centroids, assign_columns
from specialists.domains.calibration import Calibration, bundled_calibrations
from specialists.domains.catalog import DomainCatalog, alias_key, catalog_hash, load_catalog
from specialists.domains.live import domain_cache_key, live_catalog, live_ref
from specialists.domains.promotion import (
    LEDGER_RUN,
    Delta,
    Feedback,
    PromotionRefused,
    apply_deltas,
    auto_test,
    catalog_version,
    promote,
    proposals,
    record_feedback,
    regressions,
    stage,
    stage_proposals,
)
from specialists.domains.run import DomainSettings

SETTINGS = DomainSettings.of(next(p for p in bundled_profiles() if p.profile_id == "tp_default_v2"))
#: Headers a person might confirm; the walk takes the first one that is borderline today.
CANDIDATE_HEADERS = (
    "Cust Email Addr",
    "Ref Date",
    "Remit Date",
    "Client Email Address",
    "Supplier Reference",
    "Ship To City",
)


@contextmanager
def fresh_database(db: Database) -> Iterator[Database]:
    """A new, migrated database on the server of ``db``, dropped afterwards."""
    name = f"promo_{uuid.uuid4().hex[:10]}"
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_engine(db.engine.url.set(database=name))
    try:
        ensure_schema(engine)
        yield Database(engine=engine, embedded=False)
    finally:
        engine.dispose()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))


@pytest.fixture
def store(db: Database) -> Iterator[Database]:
    with fresh_database(db) as fresh:
        yield fresh


def golden(catalog: DomainCatalog) -> dict[str, Any]:
    """The golden eval a promotion runs (``conduit domains test`` runs the same)."""
    return catalog_metrics(catalog, [GOLDEN], SETTINGS)[0]


def calibration() -> Calibration:
    """The metadata_only calibration runs use; while its map tops out below ``tau_high`` (no
    header can be High in that mode whatever the catalog says), the raw score, uncalibrated."""
    bundled = bundled_calibrations()["metadata_only"]
    return bundled if bundled(1.0) >= SETTINGS.tau_high else Calibration(())


def assignment(catalog: DomainCatalog, header: str) -> tuple[str, str | None]:
    """The band and domain a header gets in metadata_only under ``catalog``."""
    [got] = assign_columns(
        [(header, None)],
        "metadata_only",
        catalog,
        Centroids.of(catalog),
        tau_high=SETTINGS.tau_high,
        tau_low=SETTINGS.tau_low,
        weights=SETTINGS.weights,
        calibration=calibration(),
    )
    best = got.candidates[0].domain_id if got.candidates else None
    return got.band, best


def borderline_header() -> tuple[str, str]:
    """A candidate header borderline today that its alias on its best domain makes High without
    lowering any golden metric, and that domain."""
    catalog = load_catalog()
    before = golden(catalog)
    for header in CANDIDATE_HEADERS:
        band, best = assignment(catalog, header)
        if band != "borderline" or best is None:
            continue
        candidate = apply_deltas(catalog, [Delta("alias", best, header)], "9.9.0")
        if assignment(candidate, header) != ("high", best):
            continue
        if not regressions(before, golden(candidate)):
            return header, best
    raise AssertionError(f"none of {CANDIDATE_HEADERS} is borderline and fixed by an alias")


def live_band(store: Database, header: str) -> tuple[str, str | None]:
    with store.connect() as conn:
        return assignment(live_catalog(conn), header)


def ledger_events(store: Database) -> list[Any]:
    with store.connect() as conn:
        return PostgresLedger(conn).events(LEDGER_RUN)


def test_feedback_to_a_live_alias(store: Database) -> None:
    header, domain = borderline_header()
    other = next(d for d in load_catalog().ids if d != domain)
    assert live_band(store, header) == ("borderline", domain)
    with store.connect() as conn:
        before, key_before = live_ref(conn), domain_cache_key(conn)
    assert before.bundled and before.version == "1.0.0"

    def say(verdict: str, decided: str, proposed: str | None) -> str:
        fb = Feedback(header, decided, verdict, proposed, run_id="R1", table="t", column=header)  # type: ignore[arg-type]
        return record_feedback(store, fb, actor="ana", role="analyst")

    ids = [say("accept", domain, domain) for _ in range(19)]
    [early] = [p for p in proposals(store) if p.domain_id == domain]
    assert (early.support, early.auto) == (19, False)  # support 19 < 20
    ids.append(say("override", domain, other))
    say("override", other, domain)  # one dissent: precision 20/21 still >= 95%
    found = {p.domain_id: p for p in proposals(store)}
    auto = found[domain]
    assert (auto.support, auto.total, auto.auto) == (20, 21, True)
    assert auto.precision >= 0.95 and sorted(auto.feedback_ids) == sorted(ids)
    assert found[other].auto is False

    staged = stage_proposals(store, [auto], actor="ana", role="analyst")
    assert (staged.status, staged.version, staged.parent_version) == ("staged", "1.1.0", "1.0.0")
    assert staged.deltas == (Delta("alias", domain, header),)
    assert set(staged.feedback_ids) == set(ids)
    assert live_band(store, header) == ("borderline", domain)  # staged is not live

    with pytest.raises(PromotionRefused, match="has not been tested"):
        promote(store, "1.1.0", actor="ana", role="analyst", manifest=current_manifest())
    report = auto_test(store, "1.1.0", golden)
    assert report.passed and report.regressions == ()
    assert set(report.before) >= {"accuracy", "high_share", "ece", "brier"}
    with pytest.raises(PolicyBlock, match="may not promote domains"):
        promote(store, "1.1.0", actor="vic", role="viewer", manifest=current_manifest())
    assert catalog_version(store, "1.1.0").status == "staged"

    live = promote(store, "1.1.0", actor="ana", role="analyst", manifest=current_manifest())
    assert (live.status, live.promoted_by, live.promoted_role) == ("live", "ana", "analyst")
    assert live_band(store, header) == ("high", domain)
    with store.connect() as conn:
        after, key_after = live_ref(conn), domain_cache_key(conn)
        centroids = conn.execute(
            text("SELECT count(*) FROM domain_centroids WHERE catalog_hash = :h"), {"h": after.hash}
        ).scalar_one()
        assert PostgresLedger(conn).verify(LEDGER_RUN).ok
    assert (after.version, after.bundled) == ("1.1.0", False) and after.hash != before.hash
    assert key_after != key_before and centroids > 0
    events = ledger_events(store)
    assert [(e.decision, e.error_code) for e in events] == [
        ("reject", "DETERMINISTIC_FAILURE"),  # untested
        ("reject", "POLICY_BLOCK"),  # viewer
        ("accept", None),
    ]
    accepted = events[-1]
    assert (accepted.inputs_hash, accepted.outputs_hash) == (before.hash, after.hash)
    assert accepted.human_confirmation.actor == "ana"
    assert [p for p in proposals(store) if p.domain_id == domain] == []  # now an alias
    with pytest.raises(PromotionRefused, match="is live"):
        promote(store, "1.1.0", actor="ana", role="analyst", manifest=current_manifest())


def wrong_alias() -> tuple[str, str]:
    """A golden header the live catalog gets right without an alias, and a wrong domain that
    would take it as an alias."""
    catalog = load_catalog()
    owned = {alias_key(a) for d in catalog.domains for a in d.aliases}
    _, outcomes = catalog_metrics(catalog, [GOLDEN], SETTINGS)
    types = {d.id: d.value_type for d in catalog.domains}
    tried = 0
    for o in outcomes:
        if o.proposed != o.expected or o.expected == "unknown" or alias_key(o.column) in owned:
            continue
        for wrong in catalog.ids:
            # the same value type, so the column's type cannot rule the wrong domain out
            if wrong == o.expected or types[wrong] != types[o.expected]:
                continue
            try:
                candidate = apply_deltas(catalog, [Delta("alias", wrong, o.column)], "9.9.0")
            except ContractError:
                continue  # a negative of that domain rules the header out
            tried += 1
            _, after = catalog_metrics(candidate, [GOLDEN], SETTINGS)
            if any(a.column == o.column and a.proposed == wrong for a in after):
                return o.column, wrong
            if tried >= 20:
                break
    raise AssertionError("no golden header to mis-alias")


def test_a_regressing_promotion_is_refused_and_nothing_changes(store: Database) -> None:
    header, wrong = wrong_alias()
    with store.connect() as conn:
        before, key_before = live_ref(conn), domain_cache_key(conn)
    staged = stage(store, [Delta("alias", wrong, header)], actor="ana", role="maintainer")
    report = auto_test(store, staged.version, golden)
    assert not report.passed and report.regressions
    with pytest.raises(PromotionRefused, match="lowers golden metrics"):
        promote(store, staged.version, actor="ana", role="admin", manifest=current_manifest())
    with store.connect() as conn:
        assert live_ref(conn) == before and domain_cache_key(conn) == key_before
        assert live_catalog(conn) is load_catalog()
    assert catalog_version(store, staged.version).status == "refused"
    [event] = ledger_events(store)
    assert (event.decision, event.error_code) == ("reject", "DETERMINISTIC_FAILURE")
    assert event.outputs_hash == staged.hash


def test_staging_validates_like_the_catalog(store: Database) -> None:
    catalog = load_catalog()
    taken = catalog.domains[0].aliases[0]
    words = f" {alias_key(taken)} "
    plain = next(
        d.id
        for d in catalog.domains[1:]
        if not any(f" {alias_key(n)} " in words for n in d.negatives)
    )
    with pytest.raises(ContractError, match="already an alias"):
        stage(store, [Delta("alias", plain, taken)], actor="a", role="analyst")
    with pytest.raises(NotFoundError, match="no domain"):
        stage(store, [Delta("alias", "nope.nothing", "x")], actor="a", role="analyst")
    with pytest.raises(ContractError, match="nothing to stage"):
        stage(store, [], actor="a", role="analyst")
    with pytest.raises(ContractError, match="accept keeps"):
        record_feedback(
            store,
            Feedback("x", catalog.ids[0], "accept", catalog.ids[1]),
            actor="a",
            role="analyst",
        )
    with store.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM domain_catalogs")).scalar_one() == 0
        assert catalog_hash(live_catalog(conn)) == catalog_hash(catalog)
