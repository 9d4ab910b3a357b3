"""Services: the Policy Engine: Policy Manifest, capability matrix, RBAC, contract checks, PII
detection and masking, and the gate before every model call."""

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
    "Entity": "manifest",
    "Operator": "manifest",
    "parse_manifest": "manifest",
    "MaskedSample": "capabilities",
    "capable": "capabilities",
    "masked_sample": "capabilities",
    "require_capability": "capabilities",
    "Decision": "engine",
    "Message": "engine",
    "PolicyRequest": "engine",
    "TablePayload": "engine",
    "evaluate": "engine",
    "policy_check": "engine",
    "prepare": "engine",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from policy.capabilities import MaskedSample, capable, masked_sample, require_capability
    from policy.contract_check import check_contract
    from policy.engine import (
        Decision,
        Message,
        PolicyRequest,
        TablePayload,
        evaluate,
        policy_check,
        prepare,
    )
    from policy.manifest import (
        Action,
        Capability,
        Entity,
        Operator,
        PolicyManifest,
        bundled_manifests,
        current_manifest,
        parse_manifest,
    )
    from policy.rbac import allowed, require
