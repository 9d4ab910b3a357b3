"""RBAC (§32): the bundled manifest grants exactly the spec's matrix."""

from __future__ import annotations

from typing import get_args

import pytest

from core.errors import PolicyBlock
from policy.manifest import Action, current_manifest
from policy.rbac import allowed, require

ROLES = ["viewer", "analyst", "operator", "maintainer", "admin"]

# §32, written from the spec: action -> roles allowed.
SPEC_32: dict[Action, set[str]] = {
    "view_artifacts_masked": {"viewer", "analyst", "operator", "maintainer", "admin"},
    "view_pii_unmasked": {"analyst", "operator", "maintainer", "admin"},
    "create_run": {"analyst", "operator", "maintainer", "admin"},
    "approve_destructive": {"operator", "maintainer", "admin"},
    "toggle_local_only_override": {"maintainer", "admin"},
    "edit_policy_manifest": {"maintainer", "admin"},
    "promote_domains": {"analyst", "operator", "maintainer", "admin"},
    "release_quarantine": {"operator", "maintainer", "admin"},
    "manage_provider_registry": {"maintainer", "admin"},
}
CASES = [
    pytest.param(role, action, role in roles, id=f"{role}-{action}")
    for action, roles in SPEC_32.items()
    for role in ROLES
]


def test_manifest_covers_exactly_the_spec_actions() -> None:
    assert set(current_manifest().rbac) == set(SPEC_32) == set(get_args(Action))


@pytest.mark.parametrize(("role", "action", "expected"), CASES)
def test_allowed_matches_spec(role: str, action: Action, expected: bool) -> None:
    assert allowed(current_manifest(), role, action) is expected


@pytest.mark.parametrize(("role", "action", "expected"), CASES)
def test_require_blocks_exactly_what_is_not_allowed(
    role: str, action: Action, expected: bool
) -> None:
    manifest = current_manifest()
    if expected:
        require(manifest, role, action, actor="someone")
        return
    with pytest.raises(PolicyBlock) as info:
        require(manifest, role, action, actor="someone")
    error = info.value
    assert error.code == "POLICY_BLOCK"
    assert error.field == "rbac_actor.role"
    assert error.exit_code == 10
    assert "someone" in error.message
    assert manifest.version in error.message


@pytest.mark.parametrize("role", ["", "Admin", "superuser", "root"])
def test_unknown_roles_may_do_nothing(role: str) -> None:
    manifest = current_manifest()
    for action in SPEC_32:
        assert not allowed(manifest, role, action)
        with pytest.raises(PolicyBlock):
            require(manifest, role, action)
