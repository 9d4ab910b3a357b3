"""Policy checks on a Run Contract before a run is created."""

from __future__ import annotations

from core.contract import RunContract, SampleCaps
from core.errors import PolicyBlock
from policy.manifest import PolicyManifest
from policy.rbac import require

__all__ = ["check_contract", "check_sample_caps"]


def check_sample_caps(manifest: PolicyManifest, caps: SampleCaps) -> None:
    """Raise POLICY_BLOCK when ``caps`` ask for more rows or bytes than ``manifest`` allows."""
    for name in ("rows_max", "bytes_max"):
        asked, limit = getattr(caps, name), getattr(manifest.sample_caps, name)
        if asked > limit:
            raise PolicyBlock(
                f"sample_caps.{name} is {asked}; policy {manifest.version} allows {limit}",
                field=f"sample_caps.{name}",
            )


def check_contract(manifest: PolicyManifest, contract: RunContract) -> None:
    """Raise POLICY_BLOCK when ``contract`` asks for more than ``manifest`` allows."""
    actor = contract.rbac_actor
    require(manifest, actor.role, "create_run", actor=actor.user_id)
    if contract.pii_policy.local_only_override:
        if not manifest.pii.local_only_override_allowed:
            raise PolicyBlock(
                f"policy {manifest.version} does not allow local_only_override",
                field="pii_policy.local_only_override",
            )
        require(manifest, actor.role, "toggle_local_only_override", actor=actor.user_id)
    if manifest.pii.mask_before_send and not contract.pii_policy.mask_before_send:
        if not contract.pii_policy.local_only_override:
            raise PolicyBlock(
                "pii_policy.mask_before_send may be false only with local_only_override "
                f"(policy {manifest.version})",
                field="pii_policy.mask_before_send",
            )
    if contract.sample_caps is not None:
        check_sample_caps(manifest, contract.sample_caps)
    for stage, budget in contract.budget_caps.items():
        if budget.tokens > manifest.cost_caps.tokens_per_stage:
            raise PolicyBlock(
                f"budget_caps.{stage}.tokens is {budget.tokens}; policy {manifest.version} "
                f"allows {manifest.cost_caps.tokens_per_stage}",
                field=f"budget_caps.{stage}.tokens",
            )
        if budget.usd > manifest.cost_caps.usd_per_stage:
            raise PolicyBlock(
                f"budget_caps.{stage}.usd is {budget.usd}; policy {manifest.version} "
                f"allows {manifest.cost_caps.usd_per_stage}",
                field=f"budget_caps.{stage}.usd",
            )
