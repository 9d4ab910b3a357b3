"""Conformance suite for the Supervisor Ledger, run against every implementation.

Today there is one implementation, PostgreSQL; a new one joins by adding a factory to LEDGERS.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core.db import Database
from core.ids import ulid
from ledger import (
    EVENT_FIELDS,
    GENESIS_HASH,
    HumanConfirmation,
    Ledger,
    LedgerEvent,
    PostgresLedger,
    fold,
)
from ledger.summary import empty_summary

LedgerFactory = Callable[[Database], AbstractContextManager[Ledger]]


@contextmanager
def _postgres(db: Database) -> Iterator[Ledger]:
    with db.begin() as conn:
        yield PostgresLedger(conn)


LEDGERS: dict[str, LedgerFactory] = {"postgres": _postgres}

SPEC_FIELDS = (
    "event_id run_id timestamp_utc stage decision inputs_hash outputs_hash provider model "
    "params_hash token_estimate token_actual usd_estimate usd_actual retries fallback_chain "
    "pii_mask_applied local_only_override policy_version threshold_profile_id dsl_version "
    "error_code error_detail_id human_confirmation"
).split()


@pytest.fixture(params=sorted(LEDGERS))
def ledger(
    request: pytest.FixtureRequest, db: Database
) -> Callable[[], AbstractContextManager[Ledger]]:
    factory = LEDGERS[request.param]
    return lambda: factory(db)


def _event(run_id: str, **overrides: object) -> LedgerEvent:
    base: dict[str, object] = {
        "run_id": run_id,
        "stage": "INGEST",
        "decision": "accept",
        "inputs_hash": "a" * 64,
        "outputs_hash": "b" * 64,
        "provider": "ollama",
        "model": "llama3.1:8b",
        "token_estimate": 120,
        "token_actual": 98,
        "usd_estimate": Decimal("0.0012"),
        "usd_actual": Decimal("0.00098"),
        "retries": 1,
        "fallback_chain": ("openai:gpt-4o", "ollama:llama3.1:8b"),
        "pii_mask_applied": True,
        "policy_version": "0.1.0",
        "threshold_profile_id": "tp_default_v1",
        "dsl_version": "1.0.0",
        "human_confirmation": HumanConfirmation(
            required=True, actor="olga", timestamp=dt.datetime(2026, 1, 2, 3, 4, 5, 6, dt.UTC)
        ),
    }
    base.update(overrides)
    return LedgerEvent.model_validate(base)


def test_event_has_exactly_the_spec_fields() -> None:
    assert list(EVENT_FIELDS) == SPEC_FIELDS


def test_append_assigns_sequence_and_chain(
    ledger: Callable[[], AbstractContextManager[Ledger]],
) -> None:
    run_id = ulid()
    with ledger() as led:
        first = led.append(_event(run_id))
        second = led.append(_event(run_id, stage="DOMAINS", decision="hold"))
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.event_hash
    assert first.event_hash != second.event_hash


def test_events_round_trip_every_field(
    ledger: Callable[[], AbstractContextManager[Ledger]],
) -> None:
    run_id = ulid()
    original = _event(run_id, error_code="RATE_LIMIT", error_detail_id="trace-123")
    with ledger() as led:
        stored = led.append(original)
    with ledger() as led:
        [read] = led.events(run_id)
    assert read == stored
    for name in SPEC_FIELDS:
        assert getattr(read, name) == getattr(original, name), name
    assert read.usd_actual == Decimal("0.000980")


def test_runs_are_separate_chains(ledger: Callable[[], AbstractContextManager[Ledger]]) -> None:
    a, b = ulid(), ulid()
    with ledger() as led:
        led.append(_event(a))
        led.append(_event(b))
        led.append(_event(a, decision="hold"))
        assert [e.seq for e in led.events(a)] == [1, 2]
        assert [e.seq for e in led.events(b)] == [1]


def test_verify_passes_on_untouched_chain(
    ledger: Callable[[], AbstractContextManager[Ledger]],
) -> None:
    run_id = ulid()
    with ledger() as led:
        for decision in ("accept", "hold", "accept"):
            led.append(_event(run_id, decision=decision))
        result = led.verify(run_id)
    assert result.ok and result.events_checked == 3 and result.problem is None


def test_summary_is_the_fold_of_the_events(
    ledger: Callable[[], AbstractContextManager[Ledger]],
) -> None:
    run_id = ulid()
    with ledger() as led:
        led.append(_event(run_id, stage="SUPERVISOR"))
        led.append(_event(run_id, stage="INGEST"))
        led.append(_event(run_id, stage="DOMAINS", decision="hold", error_code="TIMEOUT"))
    with ledger() as led:
        summary = led.summary(run_id)
        events = led.events(run_id)
    assert summary is not None
    expected = empty_summary()
    for event in events:
        expected = fold(expected, event)
    assert summary.summary == expected
    assert summary.event_count == 3 and summary.head_hash == events[-1].event_hash
    assert summary.summary["awaiting_human"] == ["DOMAINS"]
    assert summary.summary["errors"] == {"TIMEOUT": 1}
    assert summary.summary["totals"]["token_actual"] == 3 * 98
    assert summary.summary["totals"]["usd_actual"] == "0.002940"


def test_summary_of_unknown_run_is_none(
    ledger: Callable[[], AbstractContextManager[Ledger]],
) -> None:
    with ledger() as led:
        assert led.summary(ulid()) is None
        assert led.events(ulid()) == []
        assert led.verify(ulid()).ok


def test_concurrent_appends_keep_one_chain(db: Database) -> None:
    run_id = ulid()
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(10):
                with db.begin() as conn:
                    PostgresLedger(conn).append(_event(run_id))
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with db.connect() as conn:
        led = PostgresLedger(conn)
        assert [e.seq for e in led.events(run_id)] == list(range(1, 41))
        assert led.verify(run_id).ok


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE supervisor_ledger SET decision = 'reject' WHERE run_id = :r",
        "DELETE FROM supervisor_ledger WHERE run_id = :r",
        "TRUNCATE supervisor_ledger",
    ],
)
def test_database_refuses_changes(db: Database, statement: str) -> None:
    run_id = ulid()
    with db.begin() as conn:
        PostgresLedger(conn).append(_event(run_id))
    with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
        conn.execute(text(statement), {"r": run_id})
    with db.connect() as conn:
        assert len(PostgresLedger(conn).events(run_id)) == 1
        assert PostgresLedger(conn).verify(run_id).ok


def _three_events(db: Database) -> tuple[str, list[str]]:
    run_id = ulid()
    with db.begin() as conn:
        led = PostgresLedger(conn)
        ids = [led.append(_event(run_id, decision=d)).event_id for d in ("accept", "hold", "fix")]
    return run_id, ids


def _verify(db: Database, run_id: str) -> tuple[bool, str | None, str]:
    with db.connect() as conn:
        result = PostgresLedger(conn).verify(run_id)
    return result.ok, result.event_id, result.problem or ""


def test_verify_names_an_edited_event(db: Database, superuser_sql: Callable[..., None]) -> None:
    run_id, ids = _three_events(db)
    superuser_sql(
        "UPDATE supervisor_ledger SET token_actual = 1 WHERE event_id = :e", {"e": ids[1]}
    )
    ok, bad, problem = _verify(db, run_id)
    assert not ok and bad == ids[1] and "altered" in problem


def test_verify_names_a_resealed_event_by_its_successor(
    db: Database, superuser_sql: Callable[..., None]
) -> None:
    """An attacker who also recomputes the edited event's own hash breaks the next link."""
    run_id, ids = _three_events(db)
    with db.connect() as conn:
        target = PostgresLedger(conn).events(run_id)[0]
    from ledger.events import seal

    forged = target.model_copy(update={"decision": "reject"})
    new_hash = seal(forged, seq=1, prev_hash=GENESIS_HASH)
    superuser_sql(
        "UPDATE supervisor_ledger SET decision = 'reject', event_hash = :h WHERE event_id = :e",
        {"h": new_hash, "e": ids[0]},
    )
    ok, bad, problem = _verify(db, run_id)
    assert not ok and bad == ids[1] and "prev_hash" in problem


@pytest.mark.parametrize("position", [0, 2])
def test_verify_detects_a_deleted_event(
    db: Database, superuser_sql: Callable[..., None], position: int
) -> None:
    run_id, ids = _three_events(db)
    superuser_sql("DELETE FROM supervisor_ledger WHERE event_id = :e", {"e": ids[position]})
    ok, _bad, problem = _verify(db, run_id)
    assert not ok
    assert problem


def test_append_refuses_an_autocommit_connection(db: Database) -> None:
    """Without a transaction the per-run lock would be released after each statement."""
    run_id = ulid()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        with pytest.raises(RuntimeError, match="autocommit"):
            PostgresLedger(conn).append(_event(run_id))
    with db.connect() as conn:
        assert PostgresLedger(conn).events(run_id) == []


def test_verify_names_an_event_edited_into_an_invalid_one(
    db: Database, superuser_sql: Callable[..., None]
) -> None:
    run_id, ids = _three_events(db)
    superuser_sql(
        "UPDATE supervisor_ledger SET token_estimate = -1 WHERE event_id = :e", {"e": ids[1]}
    )
    ok, bad, problem = _verify(db, run_id)
    assert not ok and bad == ids[1] and "no longer a valid event" in problem


def test_same_instant_in_any_zone_seals_the_same() -> None:
    from ledger.events import seal

    utc = dt.datetime(2024, 1, 1, 12, tzinfo=dt.UTC)
    plus2 = utc.astimezone(dt.timezone(dt.timedelta(hours=2)))
    events = [
        _event("01J9ZQ8X3M4N5P6Q7R8S9T0V1W", event_id="01J9ZQ8X3M4N5P6Q7R8S9T0V1X",
               timestamp_utc=utc, human_confirmation=HumanConfirmation(timestamp=when))
        for when in (utc, plus2)
    ]  # fmt: skip
    assert seal(events[0], seq=1, prev_hash=GENESIS_HASH) == seal(
        events[1], seq=1, prev_hash=GENESIS_HASH
    )
    with pytest.raises(ValueError, match="time zone"):
        HumanConfirmation(timestamp=dt.datetime(2024, 1, 1, 12))
