"""Policy checks on a Run Contract before a run is created."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from core.contract import RunContract, load_contract_file, parse_contract
from core.errors import PolicyBlock
from policy.contract_check import check_contract
from policy.manifest import PiiDefaults, PolicyManifest, current_manifest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "bank_transactions" / "contract.yaml"
MANIFEST = current_manifest()
ROWS_LIMIT = MANIFEST.sample_caps.rows_max
TOKENS_LIMIT = MANIFEST.cost_caps.tokens_per_stage


def contract(changes: dict[str, Any] | None = None) -> RunContract:
    doc = copy.deepcopy(load_contract_file(EXAMPLE))
    for path, value in (changes or {}).items():
        *parents, last = path.split(".")
        node = doc
        for part in parents:
            node = node[part]
        node[last] = value
    return parse_contract(doc)


def blocked(changes: dict[str, Any], manifest: PolicyManifest = MANIFEST) -> PolicyBlock:
    with pytest.raises(PolicyBlock) as info:
        check_contract(manifest, contract(changes))
    assert info.value.code == "POLICY_BLOCK"
    return info.value


def test_bundled_manifest_limits_are_the_ones_these_tests_assume() -> None:
    assert MANIFEST.pii.mask_before_send is True
    assert MANIFEST.pii.local_only_override_allowed is True
    assert (ROWS_LIMIT, TOKENS_LIMIT) == (100000, 5000000)


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"rbac_actor.role": "operator"},
        {"rbac_actor.role": "maintainer", "pii_policy.local_only_override": True},
        {"rbac_actor.role": "admin", "pii_policy.local_only_override": True},
        {
            "rbac_actor.role": "maintainer",
            "pii_policy": {"mask_before_send": False, "local_only_override": True},
        },
        {"sample_caps": {"rows_max": ROWS_LIMIT, "bytes_max": MANIFEST.sample_caps.bytes_max}},
        {"budget_caps.mapping.tokens": TOKENS_LIMIT, "budget_caps.mapping.usd": "500.00"},
    ],
    ids=[
        "example",
        "operator",
        "maintainer-override",
        "admin-override",
        "unmasked-override",
        "caps-at-limit",
        "budget-at-limit",
    ],
)
def test_contracts_within_policy_pass(changes: dict[str, Any]) -> None:
    check_contract(MANIFEST, contract(changes))  # raises PolicyBlock when refused


def test_viewer_may_not_create_a_run() -> None:
    error = blocked({"rbac_actor.role": "viewer"})
    assert error.field == "rbac_actor.role"
    assert "ana.analyst" in error.message
    assert "create run" in error.message


@pytest.mark.parametrize("role", ["analyst", "operator"])
def test_only_maintainer_or_admin_may_set_local_only_override(role: str) -> None:
    error = blocked({"rbac_actor.role": role, "pii_policy.local_only_override": True})
    assert error.field == "rbac_actor.role"
    assert "local only override" in error.message


def test_override_is_blocked_for_everyone_when_the_manifest_forbids_it() -> None:
    strict = MANIFEST.model_copy(
        update={"pii": PiiDefaults(mask_before_send=True, local_only_override_allowed=False)}
    )
    error = blocked(
        {"rbac_actor.role": "admin", "pii_policy.local_only_override": True}, manifest=strict
    )
    assert error.field == "pii_policy.local_only_override"


@pytest.mark.parametrize("role", ["analyst", "admin"])
def test_unmasked_sending_needs_the_override(role: str) -> None:
    error = blocked({"rbac_actor.role": role, "pii_policy.mask_before_send": False})
    assert error.field == "pii_policy.mask_before_send"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"sample_caps.rows_max": ROWS_LIMIT + 1}, "sample_caps.rows_max"),
        (
            {"sample_caps.bytes_max": MANIFEST.sample_caps.bytes_max + 1},
            "sample_caps.bytes_max",
        ),
        ({"budget_caps.domains.tokens": TOKENS_LIMIT + 1}, "budget_caps.domains.tokens"),
        ({"budget_caps.migration.usd": "500.01"}, "budget_caps.migration.usd"),
    ],
)
def test_asking_for_more_than_the_manifest_allows_is_blocked(
    changes: dict[str, Any], field: str
) -> None:
    error = blocked(changes)
    assert error.field == field
    assert field in error.message
    assert str(list(changes.values())[0]) in error.message
