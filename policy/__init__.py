"""Services: the Policy Engine: Policy Manifest, capability matrix, RBAC, contract checks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.lazy import lazy_exports

_EXPORTS = {
    "Action": "manifest",
    "Capability": "manifest",
    "PolicyManifest": "manifest",
    "bundled_manifests": "manifest",
    "current_manifest": "manifest",
    "allowed": "rbac",
    "require": "rbac",
    "check_contract": "contract_check",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from policy.contract_check import check_contract
    from policy.manifest import (
        Action,
        Capability,
        PolicyManifest,
        bundled_manifests,
        current_manifest,
    )
    from policy.rbac import allowed, require
