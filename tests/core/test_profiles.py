"""Threshold Profiles (§29): the bundled default, its hash, and what a profile file may say."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

import core.profiles
from core.errors import ContractError, NotFoundError
from core.profiles import ThresholdProfile, bundled_profiles, load_profile_file, profile_hash

BUNDLED = Path(core.profiles.__file__).parent / "tp_default_v1.yaml"

# §29's example values, written from the spec.
SPEC_29: dict[str, Any] = {
    "profile_id": "tp_default_v1",
    "domaining": {"tau_high": 0.82, "tau_low": 0.55},
    "mapping": {"accept_rate_min": 0.95, "near_match_window": 0.03},
    "analysis": {"null_rate_max": 0.02, "dup_key_rate_max": 0.00},
    "migration": {"batch_size": 50000, "validation_checks": ["row_count", "checksum", "fk_check"]},
    "budgets": {"domaining": {"tokens": 150000}, "mapping": {"tokens": 250000}},
}
# Profiles are immutable once stored, so the bundled one's hash may never change.
GOLDEN_PROFILE_HASH = "df2d3e4030880486d25ed41a1ff15fb747313ac32c86b76e3813521310fac096"


def default_doc() -> dict[str, Any]:
    doc = yaml.safe_load(BUNDLED.read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


def write(tmp_path: Path, doc: object) -> Path:
    path = tmp_path / "tp_test.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def test_bundled_default_has_exactly_the_spec_values() -> None:
    [profile] = [p for p in bundled_profiles() if p.profile_id == "tp_default_v1"]
    dumped = profile.model_dump(exclude_none=True)  # fields added after v1 are absent
    assert {key: dumped[key] for key in SPEC_29} == SPEC_29
    assert set(dumped) == set(SPEC_29) | {"version", "description"}


def test_profile_hash_is_stable() -> None:
    profile = load_profile_file(BUNDLED)
    assert profile_hash(profile) == GOLDEN_PROFILE_HASH
    reordered = {k: default_doc()[k] for k in reversed(list(default_doc()))}
    assert profile_hash(ThresholdProfile.model_validate(reordered)) == GOLDEN_PROFILE_HASH


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("domaining", "tau_high", 0.83),
        ("analysis", "dup_key_rate_max", 0.01),
        ("migration", "batch_size", 50001),
        ("migration", "validation_checks", ["row_count", "checksum"]),
        ("budgets", "mapping", {"tokens": 250001}),
    ],
)
def test_profile_hash_changes_with_any_value(section: str, key: str, value: object) -> None:
    doc = copy.deepcopy(default_doc())
    doc[section][key] = value
    assert profile_hash(ThresholdProfile.model_validate(doc)) != GOLDEN_PROFILE_HASH


@pytest.mark.parametrize(("tau_low", "tau_high"), [(0.82, 0.82), (0.9, 0.82), (1.0, 0.0)])
def test_tau_low_must_be_below_tau_high(tmp_path: Path, tau_low: float, tau_high: float) -> None:
    doc = default_doc()
    doc["domaining"] = {"tau_high": tau_high, "tau_low": tau_low}
    with pytest.raises(ContractError, match="tau_low") as info:
        load_profile_file(write(tmp_path, doc))
    assert info.value.code == "DETERMINISTIC_FAILURE"


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("colour",), "blue"),
        (("domaining", "tau_mid"), 0.7),
        (("budgets", "analysis"), {"tokens": 1}),
        (("domaining", "tau_high"), 1.5),
        (("migration", "batch_size"), 0),
        (("migration", "validation_checks"), ["row_count", "vibe_check"]),
        (("migration", "validation_checks"), []),
        (("profile_id",), "TP-Default"),
    ],
)
def test_invalid_profile_is_refused(tmp_path: Path, path: tuple[str, ...], value: object) -> None:
    doc = default_doc()
    node = doc
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    with pytest.raises(ContractError, match=path[-1]):
        load_profile_file(write(tmp_path, doc))


def test_missing_profile_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="tp_nope"):
        load_profile_file(tmp_path / "tp_nope.yaml")


def test_profiles_are_frozen() -> None:
    profile = load_profile_file(BUNDLED)
    with pytest.raises(ValueError):
        profile.domaining.tau_high = 0.5  # type: ignore[misc]


def test_v2_carries_the_domain_weights_and_the_hold_share() -> None:
    [v2] = [p for p in bundled_profiles() if p.profile_id == "tp_default_v2"]
    assert v2.domaining.weights is not None and v2.domaining.borderline_share_max == 0.2
    weights = v2.domaining.weights
    assert weights.alpha + weights.beta + weights.gamma + weights.epsilon == pytest.approx(1.0)
    [v1] = [p for p in bundled_profiles() if p.profile_id == "tp_default_v1"]
    assert v1.domaining.weights is None  # v1 runs get the code's defaults


def test_domain_weights_must_sum_to_one(tmp_path: Path) -> None:
    doc = default_doc()
    doc["domaining"]["weights"] = {"alpha": 0.5, "beta": 0.5, "gamma": 0.5, "epsilon": 0.0}
    with pytest.raises(ContractError, match="sum to 1"):
        load_profile_file(write(tmp_path, doc))
