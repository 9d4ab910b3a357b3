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
from policy.egress import origin

__all__ = [
    "DEFAULT_OPERATORS",
    "Action",
    "Capability",
    "Entity",
    "Operator",
    "PolicyManifest",
    "bundled_manifests",
    "current_manifest",
    "parse_manifest",
]

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


Entity = Literal[
    "PERSON",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "IBAN_CODE",
    "US_SSN",
    "US_BANK_NUMBER",
    "ABA_ROUTING_NUMBER",
    "IP_ADDRESS",
    "URL",
    "DATE_OF_BIRTH",
    "STREET_ADDRESS",
    "TAX_ID",
    "OTHER_ID",
]
Operator = Literal["redact", "partial", "pseudonym"]

#: How each entity is masked when a manifest does not say (the 0.1.0 manifest predates the table).
DEFAULT_OPERATORS: dict[Entity, Operator] = {
    "PERSON": "pseudonym",
    "EMAIL_ADDRESS": "pseudonym",
    "PHONE_NUMBER": "partial",
    "CREDIT_CARD": "partial",
    "IBAN_CODE": "partial",
    "US_SSN": "redact",
    "US_BANK_NUMBER": "partial",
    "ABA_ROUTING_NUMBER": "redact",
    "IP_ADDRESS": "pseudonym",
    "URL": "redact",
    "DATE_OF_BIRTH": "redact",
    "STREET_ADDRESS": "redact",
    "TAX_ID": "redact",
    "OTHER_ID": "redact",
}


class PiiDetection(_Frozen):
    """How columns are judged: see ``policy.pii.detect``."""

    sample_values: int = Field(default=200, gt=0, le=10_000)
    column_rate: float = Field(default=0.6, gt=0, le=1)
    ner: bool = True


class PiiDefaults(_Frozen):
    mask_before_send: bool
    local_only_override_allowed: bool
    operators: dict[Entity, Operator] = Field(default_factory=lambda: dict(DEFAULT_OPERATORS))
    detection: PiiDetection = Field(default_factory=PiiDetection)

    @model_validator(mode="after")
    def _every_entity_has_an_operator(self) -> PiiDefaults:
        missing = sorted(set(get_args(Entity)) - set(self.operators))
        if missing:
            raise ValueError(f"pii.operators lacks {missing}")
        return self


class Providers(_Frozen):
    allowlist: list[str] = Field(default_factory=list)
    denylist: list[str] = Field(default_factory=list)
    #: Providers that run on the tenant's own machines; with ``local_only_override`` a request
    #: may go unmasked only to one of these, at a loopback or private address.
    local: list[str] = Field(default_factory=list)


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
    def _origins(self) -> PolicyManifest:
        for entry in self.egress_allowlist:
            if origin(entry) != entry:
                raise ValueError(
                    f"egress_allowlist entry {entry!r} is not an origin; write it as "
                    f"{origin(entry) or 'scheme://host[:port]'}"
                )
        return self

    @model_validator(mode="after")
    def _complete(self) -> PolicyManifest:
        for name, kind in (("capabilities", Capability), ("rbac", Action)):
            missing = sorted(set(get_args(kind)) - set(getattr(self, name)))
            if missing:
                raise ValueError(f"{name} lacks {missing}")
        return self

    @property
    def content_hash(self) -> str:
        """SHA-256 of the manifest as written: fields a file leaves to their defaults are not
        hashed, so adding a defaulted field to the model never changes a stored version's hash."""
        return content_hash(self.document())

    def document(self) -> dict[str, object]:
        """The manifest as written (what is hashed and stored)."""
        return self.model_dump(mode="python", exclude_unset=True)


def parse_manifest(text: str, *, name: str = "policy manifest") -> PolicyManifest:
    """Parse and validate manifest YAML; DETERMINISTIC_FAILURE naming the first bad field."""
    import yaml
    from pydantic import ValidationError

    from core.contract import load_yaml_strict

    try:
        return PolicyManifest.model_validate(load_yaml_strict(text))
    except yaml.YAMLError as e:
        raise ContractError(f"{name} is not valid YAML: {e}") from None
    except ValidationError as e:
        first = e.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or None
        raise ContractError(f"{name} is invalid: {first['msg']}", field=field) from None


def _load(path: Path) -> PolicyManifest:
    return parse_manifest(path.read_text(encoding="utf-8"), name=f"policy manifest {path.name}")


@functools.cache
def bundled_manifests() -> tuple[PolicyManifest, ...]:
    """Every manifest shipped with Conduit, oldest version first (read once per process)."""
    manifests = [_load(p) for p in sorted(_DIR.glob("*.yaml"))]
    return tuple(sorted(manifests, key=lambda m: tuple(int(x) for x in m.version.split("."))))


def current_manifest() -> PolicyManifest:
    """The newest bundled manifest: the version new runs pin unless their contract names one."""
    return bundled_manifests()[-1]
