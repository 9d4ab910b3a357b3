"""Stored Policy Manifests: publishing is Maintainer/Admin only, versions only go up, and a stored
version's content hash never changes.

Publishing changes what every new run pins, so these tests use a database of their own on the
session's server, dropped at the end of the module.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from sqlalchemy import create_engine, text

from core.db import Database
from core.errors import ContractError, PolicyBlock
from core.migrate import ensure_schema
from policy.manifest import bundled_manifests, current_manifest, parse_manifest
from supervisor.policies import (
    list_manifests,
    newest_manifest,
    publish_manifest,
    stored_manifest,
)
from supervisor.reference import ensure_reference_data

V010_HASH = "beebcbed8ec7852a6908dd72220404af3d9aefba2d81a92a1ba9e5d2f99dd353"


@pytest.fixture(scope="module")
def store(db: Database) -> Iterator[Database]:
    name = f"policy_{uuid.uuid4().hex[:10]}"
    admin = db.engine.execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_engine(db.engine.url.set(database=name))
    try:
        ensure_schema(engine)
        own = Database(engine=engine, embedded=db.embedded)
        with own.begin() as conn:
            ensure_reference_data(conn)
        yield own
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _counts(store: Database) -> tuple[int, int]:
    with store.connect() as conn:
        manifests = conn.execute(text("SELECT count(*) FROM policy_manifests")).scalar_one()
        artifacts = conn.execute(text("SELECT count(*) FROM artifacts")).scalar_one()
    return int(manifests), int(artifacts)


def _newest(store: Database) -> str:
    with store.connect() as conn:
        return newest_manifest(conn).version


def _next(version: str) -> str:
    major, minor, _ = (int(x) for x in version.split("."))
    return f"{major}.{minor + 1}.0"


def _yaml(version: str, **changes: Any) -> str:
    doc: dict[str, Any] = current_manifest().model_dump(mode="json")
    doc.update(version=version, description=f"test manifest {version}", **changes)
    return yaml.safe_dump(doc, sort_keys=False)


def test_bundled_0_1_0_hash_is_frozen(store: Database) -> None:
    [v010] = [m for m in bundled_manifests() if m.version == "0.1.0"]
    assert v010.content_hash == V010_HASH
    pii = v010.document()["pii"]
    assert isinstance(pii, dict) and "operators" not in pii and "detection" not in pii
    with store.connect() as conn:
        column = conn.execute(
            text("SELECT content_hash FROM policy_manifests WHERE policy_version = '0.1.0'")
        ).scalar_one()
        assert column.strip() == V010_HASH
        assert stored_manifest(conn, "0.1.0").content_hash == V010_HASH


def test_stored_manifests_read_back_with_their_recorded_hash(store: Database) -> None:
    with store.connect() as conn:
        rows = conn.execute(text("SELECT policy_version, content_hash FROM policy_manifests"))
        recorded: dict[str, str] = {str(v): str(h) for v, h in rows}
        read_back = {m.version: m.content_hash for m in list_manifests(conn)}
    assert {v: h.strip() for v, h in recorded.items()} == read_back
    assert {m.version for m in bundled_manifests()} <= set(read_back)


@pytest.mark.parametrize("role", ["viewer", "analyst", "operator", "superuser"])
def test_roles_below_maintainer_may_not_publish(store: Database, role: str) -> None:
    before, newest = _counts(store), _newest(store)
    with pytest.raises(PolicyBlock) as info:
        publish_manifest(store, _yaml(_next(newest)), actor="pat", role=role)
    assert (info.value.code, info.value.exit_code) == ("POLICY_BLOCK", 10)
    assert info.value.field == "rbac_actor.role" and "pat" in info.value.message
    assert _counts(store) == before and _newest(store) == newest


@pytest.mark.parametrize("role", ["maintainer", "admin"])
def test_a_maintainer_publishes_a_higher_version(store: Database, role: str) -> None:
    (manifests, artifacts), version = _counts(store), _next(_newest(store))
    published = publish_manifest(store, _yaml(version), actor="mo", role=role)
    assert published.version == version
    assert _counts(store) == (manifests + 1, artifacts + 1)
    with store.connect() as conn:
        assert newest_manifest(conn) == published
        assert stored_manifest(conn, version).content_hash == published.content_hash
        stored = conn.execute(
            text("SELECT count(*) FROM artifacts WHERE hash = :h"), {"h": published.content_hash}
        ).scalar_one()
    assert stored == 1


def test_versions_compare_as_numbers(store: Database) -> None:
    major = int(_newest(store).split(".")[0]) + 1
    for version in (f"{major}.9.0", f"{major}.10.0", f"{major + 1}.0.0"):
        publish_manifest(store, _yaml(version), actor="mo", role="maintainer")
        assert _newest(store) == version


def test_same_or_lower_versions_are_refused(store: Database) -> None:
    newest = _newest(store)
    major, minor, patch = (int(x) for x in newest.split("."))
    if patch:
        lower = f"{major}.{minor}.{patch - 1}"
    else:
        lower = f"{major}.{minor - 1}.99" if minor else f"{major - 1}.99.99"
    for version in (newest, lower, "0.1.0", "0.0.1"):
        before = _counts(store)
        with pytest.raises(ContractError) as info:
            publish_manifest(store, _yaml(version), actor="mo", role="maintainer")
        assert (info.value.code, info.value.exit_code) == ("DETERMINISTIC_FAILURE", 17)
        assert info.value.field == "version" and newest in info.value.message
        assert _counts(store) == before and _newest(store) == newest


def _without(*path: str) -> str:
    doc = yaml.safe_load(_yaml("90.0.0"))
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]
    return yaml.safe_dump(doc)


@pytest.mark.parametrize(
    ("document", "field"),
    [
        (_without("egress_allowlist"), "egress_allowlist"),
        (_without("rbac"), "rbac"),
        (_yaml("90.0"), "version"),
        (_yaml("90.0.0", sample_caps={"rows_max": 0, "bytes_max": 1}), "sample_caps.rows_max"),
        (_yaml("90.0.0", egress_allowlist="https://api.openai.com"), "egress_allowlist"),
        (_yaml("90.0.0", pii={"mask_before_send": True}), "pii.local_only_override_allowed"),
    ],
    ids=["no-egress", "no-rbac", "bad-version", "zero-rows", "egress-not-a-list", "pii-partial"],
)
def test_invalid_manifests_name_the_field(store: Database, document: str, field: str) -> None:
    before = _counts(store)
    with pytest.raises(ContractError) as info:
        publish_manifest(store, document, actor="mo", role="maintainer")
    assert info.value.code == "DETERMINISTIC_FAILURE"
    assert info.value.field == field
    assert _counts(store) == before


@pytest.mark.parametrize(
    ("document", "named"),
    [
        ("version: [unclosed\n", "not valid YAML"),
        ("", "invalid"),
        ("- just\n- a list\n", "invalid"),
        (_without("capabilities", "row_samples"), "capabilities lacks ['row_samples']"),
        (_without("pii", "operators", "US_SSN"), "pii.operators lacks ['US_SSN']"),
    ],
    ids=["broken-yaml", "empty", "not-a-mapping", "missing-capability", "missing-operator"],
)
def test_unreadable_manifests_are_refused(store: Database, document: str, named: str) -> None:
    before = _counts(store)
    with pytest.raises(ContractError) as info:
        publish_manifest(store, document, actor="mo", role="maintainer")
    assert named in info.value.message
    assert _counts(store) == before
    with pytest.raises(ContractError):
        parse_manifest(document)
