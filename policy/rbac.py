"""Role-based access control (§32), decided from the Policy Manifest."""

from __future__ import annotations

from core.errors import PolicyBlock
from policy.manifest import Action, PolicyManifest

__all__ = ["allowed", "require"]


def allowed(manifest: PolicyManifest, role: str, action: Action) -> bool:
    """True when ``role`` may perform ``action`` under ``manifest``."""
    return role in manifest.rbac[action]


def require(manifest: PolicyManifest, role: str, action: Action, *, actor: str = "") -> None:
    """Raise POLICY_BLOCK unless ``role`` may perform ``action``."""
    if not allowed(manifest, role, action):
        who = f"{actor} ({role})" if actor else role
        roles = ", ".join(manifest.rbac[action])
        raise PolicyBlock(
            f"{who} may not {action.replace('_', ' ')}; allowed roles: {roles} "
            f"(policy {manifest.version})",
            field="rbac_actor.role",
        )
