"""Threshold profiles over the faces: read them, and tune one into a new profile (§29).

Profiles are immutable once stored, so tuning never changes a profile: it stores a new one,
``<base>_t<8 hex of its hash>`` with the base's version's minor number raised, whose body is the
base's with the given changes merged in and validated as a whole. Tuning the same base with the
same changes twice returns the same profile. Runs keep the profile they were created with (§27).
Tuning is a policy change: Maintainer and Admin only (§32, edit the Policy Manifest).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from core.canonical import content_hash
from core.errors import ContractError, NotFoundError
from core.profiles import ThresholdProfile, profile_body, profile_hash
from policy.rbac import require
from supervisor.policies import newest_manifest
from supervisor.reference import ensure_reference_data, store_profile, stored_profile

if TYPE_CHECKING:
    from core.db import Database

__all__ = ["get_profile", "list_profiles", "profile_view", "tune_profile"]


def profile_view(profile: ThresholdProfile) -> dict[str, Any]:
    """A profile as the faces show it: its body and content hash."""
    return {"hash": profile_hash(profile), **profile_body(profile)}


def list_profiles(db: Database) -> list[ThresholdProfile]:
    from sqlalchemy import text

    with db.begin() as conn:
        ensure_reference_data(conn)
        bodies = conn.execute(text("SELECT body FROM threshold_profiles ORDER BY profile_id"))
        return [ThresholdProfile.model_validate(b) for (b,) in bodies]


def get_profile(db: Database, profile_id: str) -> ThresholdProfile:
    with db.begin() as conn:
        ensure_reference_data(conn)
        found = stored_profile(conn, profile_id)
    if found is None:
        raise NotFoundError(f"no threshold profile {profile_id}", field="profile_id")
    return found


def _merge(base: dict[str, Any], changes: dict[str, Any], path: str = "") -> dict[str, Any]:
    merged = dict(base)
    for key, value in changes.items():
        where = f"{path}.{key}" if path else key
        if key in ("profile_id", "version"):
            raise ContractError(f"{where} is set by tuning, not by the changes", field=where)
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value, where)
        else:
            merged[key] = value
    return merged


def tune_profile(
    db: Database, profile_id: str, changes: dict[str, Any], *, actor: str, role: str
) -> tuple[ThresholdProfile, bool]:
    """Store the tuned profile; return it and whether it is new.

    Raises:
        NotFoundError: no base profile ``profile_id``.
        ContractError: no changes, or changes that make an invalid profile (field named).
        PolicyBlock: the role may not edit policy.
    """
    from pydantic import ValidationError

    if not isinstance(changes, dict) or not changes:
        raise ContractError("give at least one change to tune", field="changes")
    base = get_profile(db, profile_id)
    with db.connect() as conn:
        require(newest_manifest(conn), role, "edit_policy_manifest", actor=actor)
    body = _merge(profile_body(base), changes)
    major, minor, _ = (int(p) for p in base.version.split("."))
    root = re.sub(r"_t[0-9a-f]{8}$", "", profile_id)[:54]
    body["version"] = f"{major}.{minor + 1}.0"
    body["description"] = f"{base.description} Tuned from {profile_id}.".strip()
    body["profile_id"] = f"{root}_t{content_hash(body | {'profile_id': ''})[:8]}"
    try:
        tuned = ThresholdProfile.model_validate(body)
    except ValidationError as e:
        first = e.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise ContractError(
            f"the tuned profile is invalid: {field}: {first['msg']}", field=field
        ) from None
    with db.begin() as conn:
        new = stored_profile(conn, tuned.profile_id) is None
        store_profile(conn, tuned)
    return tuned, new
