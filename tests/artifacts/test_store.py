"""Conformance suite for the artifact store, run against every implementation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from artifacts import (
    ArtifactIntegrityError,
    ArtifactNotFound,
    ArtifactStore,
    PostgresArtifactStore,
)
from core.canonical import content_hash
from core.db import Database
from core.ids import ulid

StoreFactory = Callable[[Database], AbstractContextManager[ArtifactStore]]


@contextmanager
def _postgres(db: Database) -> Iterator[ArtifactStore]:
    with db.begin() as conn:
        yield PostgresArtifactStore(conn)


STORES: dict[str, StoreFactory] = {"postgres": _postgres}


@pytest.fixture(params=sorted(STORES))
def store(
    request: pytest.FixtureRequest, db: Database
) -> Callable[[], AbstractContextManager[ArtifactStore]]:
    factory = STORES[request.param]
    return lambda: factory(db)


def _body(n: int = 1) -> dict[str, object]:
    return {
        "tables": [{"name": "txn", "columns": ["id", "amount"]}],
        "amount": Decimal("12.50"),
        "as_of": dt.date(2026, 3, 14),
        "n": n,
        "note": "Zoë's ledger ✓",
    }


def _count(db: Database, run_id: str) -> int:
    with db.connect() as conn:
        n = conn.execute(
            text("SELECT count(*) FROM artifact_refs WHERE run_id = :r"), {"r": run_id}
        )
        return int(n.scalar_one())


def test_put_returns_content_hash_and_get_returns_body(
    store: Callable[[], AbstractContextManager[ArtifactStore]],
) -> None:
    run_id = ulid()
    with store() as s:
        ref = s.put("catalog", _body(), run_id=run_id, schema_version="1.0")
    assert ref.hash == content_hash(_body()) and ref.version == 1
    with store() as s:
        got = s.get(ref.hash)
    assert got.body == {**_body(), "amount": "12.50", "as_of": "2026-03-14"}
    assert (got.meta.kind, got.meta.run_id, got.meta.schema_version) == ("catalog", run_id, "1.0")
    assert got.meta.ref == ref


def test_identical_content_writes_nothing(
    db: Database, store: Callable[[], AbstractContextManager[ArtifactStore]]
) -> None:
    run_id = ulid()
    reordered = dict(reversed(list(_body().items())))
    with store() as s:
        first = s.put("catalog", _body(), run_id=run_id)
    with store() as s:
        again = s.put("catalog", reordered, run_id=run_id)
    assert again == first
    assert _count(db, run_id) == 1


def test_versions_count_per_run_and_kind(
    store: Callable[[], AbstractContextManager[ArtifactStore]],
) -> None:
    run_id = ulid()
    with store() as s:
        refs = [s.put("catalog", _body(n), run_id=run_id) for n in range(3)]
        other = s.put("sample_pack", _body(9), run_id=run_id)
        listed = s.list(run_id)
        catalogs = s.list(run_id, kind="catalog")
    assert [r.version for r in refs] == [1, 2, 3]
    assert other.version == 1
    assert {m.ref for m in listed} == {*refs, other}
    assert [m.ref for m in catalogs] == refs


def test_get_by_unique_prefix(store: Callable[[], AbstractContextManager[ArtifactStore]]) -> None:
    with store() as s:
        ref = s.put("catalog", _body(123), run_id=ulid())
        assert s.get(ref.hash[:12]).meta.ref == ref
        assert s.meta(ref.hash[:12].upper()).ref == ref


@pytest.mark.parametrize(
    "key", ["", "abc", "z" * 64, "0" * 63 + "g", "'; DROP TABLE artifacts; --"]
)
def test_get_refuses_malformed_keys(
    store: Callable[[], AbstractContextManager[ArtifactStore]], key: str
) -> None:
    with store() as s, pytest.raises(ArtifactNotFound) as info:
        s.get(key)
    assert info.value.code == "DETERMINISTIC_FAILURE"


def test_get_unknown_hash(store: Callable[[], AbstractContextManager[ArtifactStore]]) -> None:
    with store() as s, pytest.raises(ArtifactNotFound, match="no artifact"):
        s.get("f" * 64)


def test_unstorable_body_is_refused_and_nothing_written(
    db: Database, store: Callable[[], AbstractContextManager[ArtifactStore]]
) -> None:
    run_id = ulid()
    with pytest.raises(Exception, match="no JSON form"), store() as s:
        s.put("catalog", {"x": float("nan")}, run_id=run_id)
    assert _count(db, run_id) == 0


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE artifacts SET size_bytes = 0 WHERE hash = :h",
        "DELETE FROM artifacts WHERE hash = :h",
        "UPDATE artifact_refs SET version = 99 WHERE hash = :h",
        "DELETE FROM artifact_refs WHERE hash = :h",
        "TRUNCATE artifact_refs",
        "TRUNCATE artifacts, artifact_refs",
    ],
)
def test_database_refuses_changes(db: Database, statement: str) -> None:
    with db.begin() as conn:
        ref = PostgresArtifactStore(conn).put("catalog", _body(7), run_id=ulid())
    with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
        conn.execute(text(statement), {"h": ref.hash})
    with db.connect() as conn:
        assert PostgresArtifactStore(conn).get(ref.hash).meta.kind == "catalog"


def test_get_detects_bytes_changed_behind_its_back(
    db: Database, superuser_sql: Callable[..., None]
) -> None:
    with db.begin() as conn:
        ref = PostgresArtifactStore(conn).put("catalog", _body(8), run_id=ulid())
    superuser_sql(
        "UPDATE artifacts SET content = :c WHERE hash = :h",
        {"h": ref.hash, "c": b'{"n":666}'},
    )
    with db.connect() as conn, pytest.raises(ArtifactIntegrityError, match="corrupt"):
        PostgresArtifactStore(conn).get(ref.hash)


def test_same_content_under_two_kinds_keeps_both(
    store: Callable[[], AbstractContextManager[ArtifactStore]],
) -> None:
    run_id = ulid()
    with store() as s:
        a = s.put("catalog", {"items": []}, run_id=run_id, schema_version="1")
        b = s.put("mapping_plan", {"items": []}, run_id=run_id, schema_version="2")
        listed = {(m.kind, m.ref.version, m.schema_version) for m in s.list(run_id)}
    assert a.hash == b.hash
    assert listed == {("catalog", 1, "1"), ("mapping_plan", 1, "2")}
