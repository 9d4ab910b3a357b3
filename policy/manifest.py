"""The Policy Manifest: versioned YAML, validated and content-hashed (§6).

Every run pins a manifest version (``policy_version``) and every artifact and ledger event records
it. Bundled manifests live in ``policy/manifests/``; a change is a new file with a new version.
"""

from __future__ import annotations

import functools
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from core.canonical import content_hash
from core.errors import ContractError

__all__ = ["Action", "Capability", "PolicyManifest", "bundled_manifests", "current_manifest"]

_DIR = Path(__file__).parent / "manifests"

Role = Literal["viewer", "analyst", "operator", "maintainer", "admin"]
Action = Literal[
    "view_artifacts_masked",
    "view_pii_unmasked",
    "create_run",
    "approve_destructive",
    "toggle_local_only_override",
    "edit_policy_manifest",
    "promote_domains",
    "release_quarantine",
    "manage_provider_registry",
]
Capability = Literal[
    "catalog_inference",
    "row_samples",
    "value_sketches",
    "sample_execution",
    "data_checks",
    "migration_execute",
    "gui_masked_slices",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModeSwitch(_Frozen):
    metadata_only: bool
    data_mode: bool


class PiiDefaults(_Frozen):
    mask_before_send: bool
    local_only_override_allowed: bool


class Providers(_Frozen):
    allowlist: list[str] = Field(default_factory=list)
    denylist: list[str] = Field(default_factory=list)


class SampleCapsLimit(_Frozen):
    rows_max: int = Field(gt=0)
    bytes_max: int = Field(gt=0)


class CostCaps(_Frozen):
    tokens_per_stage: int = Field(ge=0)
    usd_per_stage: Decimal = Field(ge=0)


class DslLimits(_Frozen):
    max_ops_per_pipeline: int = Field(gt=0)
    max_map_dict_entries: int = Field(gt=0)
    max_regex_length: int = Field(gt=0)
    max_inputs_per_pipeline: int = Field(gt=0)


class PolicyManifest(_Frozen):
    """A Policy Manifest; ``version`` is the ``policy_version`` runs pin."""

    version: Annotated[str, StringConstraints(pattern=r"^\d+\.\d+\.\d+$")]
    description: str = ""
    capabilities: dict[Capability, ModeSwitch]
    rbac: dict[Action, list[Role]]
    pii: PiiDefaults
    providers: Providers
    egress_allowlist: list[str]
    sample_caps: SampleCapsLimit
    cost_caps: CostCaps
    dsl_limits: DslLimits

    @model_validator(mode="after")
    def _complete(self) -> PolicyManifest:
        for name, kind in (("capabilities", Capability), ("rbac", Action)):
            missing = sorted(set(get_args(kind)) - set(getattr(self, name)))
            if missing:
                raise ValueError(f"{name} lacks {missing}")
        return self

    @property
    def content_hash(self) -> str:
        return content_hash(self.model_dump(mode="python"))


def _load(path: Path) -> PolicyManifest:
    import yaml
    from pydantic import ValidationError

    try:
        return PolicyManifest.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, ValidationError) as e:
        raise ContractError(f"policy manifest {path.name} is invalid: {e}") from None


@functools.cache
def bundled_manifests() -> tuple[PolicyManifest, ...]:
    """Every manifest shipped with Conduit, oldest version first (read once per process)."""
    manifests = [_load(p) for p in sorted(_DIR.glob("*.yaml"))]
    return tuple(sorted(manifests, key=lambda m: tuple(int(x) for x in m.version.split("."))))


def current_manifest() -> PolicyManifest:
    """The newest bundled manifest: the version new runs pin unless their contract names one."""
    return bundled_manifests()[-1]
