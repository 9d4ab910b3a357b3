"""Reference data every run points at: Threshold Profiles and Policy Manifests.

Bundled YAML files are validated, content-hashed, and stored twice: as run-less artifacts (the
content) and as rows of ``threshold_profiles`` / ``policy_manifests`` (the index runs reference).
Stored reference data is immutable: a file that changed on disk under a stored id is refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from artifacts.store import PostgresArtifactStore
from core.canonical import canonical_json
from core.errors import IntegrityError
from core.profiles import ThresholdProfile, bundled_profiles, profile_body, profile_hash
from policy.manifest import PolicyManifest, bundled_manifests

if TYPE_CHECKING:
    from sqlalchemy import Connection

__all__ = ["ensure_reference_data", "store_manifest", "store_profile", "stored_profile"]


def store_profile(conn: Connection, profile: ThresholdProfile) -> None:
    from sqlalchemy import text

    digest = profile_hash(profile)
    stored = conn.execute(
        text("SELECT content_hash FROM threshold_profiles WHERE profile_id = :p"),
        {"p": profile.profile_id},
    ).scalar()
    if stored is not None:
        if stored.strip() != digest:
            raise IntegrityError(
                f"threshold profile {profile.profile_id} on disk differs from the stored one "
                f"({digest[:12]} vs {stored[:12]}); profiles are immutable: give the changed "
                "profile a new profile_id"
            )
        return
    body = profile_body(profile)
    ref = PostgresArtifactStore(conn).put("threshold_profile", body, run_id=None)
    assert ref.hash == digest
    conn.execute(
        text(
            "INSERT INTO threshold_profiles (profile_id, version, content_hash, body) "
            "VALUES (:p, :v, :h, CAST(:b AS jsonb)) ON CONFLICT (profile_id) DO NOTHING"
        ),
        {
            "p": profile.profile_id,
            "v": profile.version,
            "h": digest,
            "b": profile.model_dump_json(exclude_none=True),
        },
    )


def store_manifest(conn: Connection, manifest: PolicyManifest) -> None:
    """Store ``manifest`` unless its version is stored; refuse a changed body under its version."""
    from sqlalchemy import text

    digest = manifest.content_hash
    stored = conn.execute(
        text("SELECT content_hash FROM policy_manifests WHERE policy_version = :v"),
        {"v": manifest.version},
    ).scalar()
    if stored is not None:
        if stored.strip() != digest:
            raise IntegrityError(
                f"policy manifest {manifest.version} on disk differs from the stored one; "
                "a changed manifest needs a new version"
            )
        return
    ref = PostgresArtifactStore(conn).put("policy_manifest", manifest.document(), run_id=None)
    assert ref.hash == digest
    conn.execute(
        text(
            "INSERT INTO policy_manifests (policy_version, content_hash, body) "
            "VALUES (:v, :h, CAST(:b AS jsonb)) ON CONFLICT (policy_version) DO NOTHING"
        ),
        {"v": manifest.version, "h": digest, "b": canonical_json(manifest.document()).decode()},
    )


def ensure_reference_data(conn: Connection) -> None:
    """Store every bundled profile and manifest not stored yet; refuse changed ones."""
    from sqlalchemy import text

    conn.execute(text("SELECT pg_advisory_xact_lock(hashtextextended('reference-data', 0))"))
    for profile in bundled_profiles():
        store_profile(conn, profile)
    for manifest in bundled_manifests():
        store_manifest(conn, manifest)


def stored_profile(conn: Connection, profile_id: str) -> ThresholdProfile | None:
    """The stored Threshold Profile ``profile_id``, or None."""
    from sqlalchemy import text

    body = conn.execute(
        text("SELECT body FROM threshold_profiles WHERE profile_id = :p"), {"p": profile_id}
    ).scalar()
    return None if body is None else ThresholdProfile.model_validate(body)
