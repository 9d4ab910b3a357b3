"""The Run Contract (§28): what a run is allowed to do, as a validated, hashable value.

Every key of the §28 table is a field here with its type and rule. Two keys are added, both
optional pins: ``policy_version`` and ``catalog_version``. §27 makes them immutable within a run
but §28 does not list them; when a contract leaves them out, run creation pins the versions in
force and records them in the stored contract, so the stored contract names everything a run
depends on.

Rules beyond the types:

- ``sample_caps`` is required in ``data_mode`` (row samples exist only there, §3);
- ``budget_caps`` holds ``{tokens, usd, wall_time_s}`` per stage, for at least one stage;
- ``roadmap_version`` must share its MAJOR with the spec this build implements;
- ``provider_allowlist`` and ``provider_denylist`` may not name the same tag;
- an SQL ``location`` may not carry a password: write ``env:VARNAME`` and keep the URL there;
- unknown keys are refused (a typo must not silently become a default).

The contract hash is SHA-256 over the canonical JSON (sorted keys) of the full contract, defaults
included, so two files that say the same thing in another key order hash the same.
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from core.canonical import content_hash, to_canonical_value
from core.errors import ContractError
from core.ids import is_ulid

__all__ = [
    "ROADMAP_VERSION",
    "IMMUTABLE_FIELDS",
    "Mode",
    "Lane",
    "RoutingProfile",
    "Role",
    "StageName",
    "RunContract",
    "contract_hash",
    "parse_contract",
    "contract_document",
    "load_contract_file",
    "tool_contract",
]

MAX_CONTRACT_BYTES = 1_000_000

#: The version of the normative spec this build implements (seed 003's header).
ROADMAP_VERSION = "1.1.0"

#: §27: pinned for the life of a run; changing one needs a new run.
IMMUTABLE_FIELDS = (
    "mode",
    "policy_version",
    "dsl_version",
    "catalog_version",
    "threshold_profile_id",
)

Mode = Literal["metadata_only", "data_mode"]
Lane = Literal["interactive", "flex", "batch"]
RoutingProfile = Literal["quality_first", "cost_first", "latency_first", "offline_first"]
Role = Literal["viewer", "analyst", "operator", "maintainer", "admin"]
StageName = Literal["ingest", "domains", "mapping", "analysis", "migration"]

_SEMVER = r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$"
SemVer = Annotated[str, StringConstraints(pattern=_SEMVER)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
Tag = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:/-]{1,100}$")]

# user:secret@ in a URL, or password=/pwd= as a URL query parameter or a libpq key/value pair.
_PASSWORD_IN_URL = re.compile(r"^[a-z][a-z0-9+.-]*://[^/@:\s]*:[^/@\s]+@", re.IGNORECASE)
_PASSWORD_PARAM = re.compile(r"(^|[?&;\s])(password|passwd|pwd)\s*=", re.IGNORECASE)


def _rule(field: str, message: str) -> PydanticCustomError:
    return PydanticCustomError("contract_rule", "{field} " + message, {"field": field})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


class Source(_Strict):
    type: Literal["file", "sql"]


class Endpoint(_Strict):
    """``{source: {type: file|sql}, location, schema_ref}`` (§28, for both lhs and rhs)."""

    source: Source
    location: Name
    schema_ref: Name | None = None

    @field_validator("location")
    @classmethod
    def _no_inline_password(cls, value: str) -> str:
        if _PASSWORD_IN_URL.match(value) or _PASSWORD_PARAM.search(value):
            raise ValueError(
                "must not carry a password; put the URL in an environment variable "
                "and write location as env:VARNAME"
            )
        return value


class PiiPolicy(_Strict):
    mask_before_send: bool
    local_only_override: bool


class StageBudget(_Strict):
    tokens: int = Field(ge=0)
    usd: Decimal = Field(ge=0, max_digits=20, decimal_places=6)
    wall_time_s: float = Field(gt=0, allow_inf_nan=False)


class SampleCaps(_Strict):
    rows_max: int = Field(gt=0)
    bytes_max: int = Field(gt=0)


class CacheScope(_Strict):
    run: bool
    tab: str | None = None
    filters: dict[str, str] = Field(default_factory=dict)


class RbacActor(_Strict):
    user_id: Name
    role: Role


class RunContract(_Strict):
    """A Run Contract, §28. Build with ``RunContract.model_validate(mapping)``."""

    run_id: str | None = None
    roadmap_version: SemVer
    mode: Mode
    lane_hint: Lane | None = None
    lhs: Endpoint
    rhs: Endpoint
    pii_policy: PiiPolicy
    budget_caps: dict[StageName, StageBudget] = Field(min_length=1)
    routing_profile: RoutingProfile = "quality_first"
    provider_allowlist: list[Tag] = Field(default_factory=list)
    provider_denylist: list[Tag] = Field(default_factory=list)
    threshold_profile_id: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
    dsl_version: SemVer
    sample_caps: SampleCaps | None = None
    cache_scope: CacheScope
    human_confirm_required: bool
    rbac_actor: RbacActor
    audit_tags: list[Annotated[str, StringConstraints(max_length=100)]] = Field(
        default_factory=list
    )
    policy_version: SemVer | None = None
    catalog_version: SemVer | None = None

    @field_validator("run_id")
    @classmethod
    def _run_id_is_ulid(cls, value: str | None) -> str | None:
        if value is not None and not is_ulid(value):
            raise ValueError("must be a ULID (26 characters of Crockford base32, upper case)")
        return value

    @field_validator("roadmap_version")
    @classmethod
    def _same_major(cls, value: str) -> str:
        if value.split(".")[0] != ROADMAP_VERSION.split(".")[0]:
            raise ValueError(f"this build implements roadmap {ROADMAP_VERSION}; got {value}")
        return value

    @model_validator(mode="after")
    def _cross_field_rules(self) -> RunContract:
        if self.mode == "data_mode" and self.sample_caps is None:
            raise _rule("sample_caps", "is required in data_mode ({rows_max, bytes_max})")
        both = sorted(set(self.provider_allowlist) & set(self.provider_denylist))
        if both:
            raise _rule("provider_denylist", f"names {both}, which provider_allowlist allows")
        return self

    def pins(self) -> dict[str, Any]:
        """The §27 immutable fields and their values."""
        return {name: getattr(self, name) for name in IMMUTABLE_FIELDS}


def contract_hash(contract: RunContract) -> str:
    """SHA-256 over the canonical JSON of the full contract (defaults included).

    Example:
        >>> doc = {
        ...     "roadmap_version": "1.1.0", "mode": "metadata_only",
        ...     "lhs": {"source": {"type": "file"}, "location": "a.csv"},
        ...     "rhs": {"source": {"type": "file"}, "location": "t.db", "schema_ref": "t.yaml"},
        ...     "pii_policy": {"mask_before_send": True, "local_only_override": False},
        ...     "budget_caps": {"ingest": {"tokens": 0, "usd": "0", "wall_time_s": 60}},
        ...     "threshold_profile_id": "tp_default_v1", "dsl_version": "1.0.0",
        ...     "cache_scope": {"run": True}, "human_confirm_required": False,
        ...     "rbac_actor": {"user_id": "ana", "role": "analyst"},
        ... }
        >>> a = contract_hash(RunContract.model_validate(doc))
        >>> b = contract_hash(RunContract.model_validate(dict(reversed(list(doc.items())))))
        >>> a == b
        True
    """
    return content_hash(contract.model_dump(mode="python"))


def contract_document(contract: RunContract) -> dict[str, Any]:
    """The contract as plain canonical JSON values (what is stored and hashed)."""
    doc: dict[str, Any] = to_canonical_value(contract.model_dump(mode="python"))
    return doc


def _field_of(error: Any) -> str:
    ctx = error.get("ctx") or {}
    if "field" in ctx:
        return str(ctx["field"])
    return ".".join(str(part) for part in error["loc"]) or "(contract)"


def parse_contract(doc: object) -> RunContract:
    """Validate a contract document; every problem is named by its field.

    Raises:
        ContractError: DETERMINISTIC_FAILURE; ``field`` is the first bad field, the message
            lists all of them.
    """
    if not isinstance(doc, dict):
        raise ContractError(
            "a Run Contract must be a mapping of keys to values", field="(contract)"
        )
    try:
        return RunContract.model_validate(doc)
    except ValidationError as e:
        problems = []
        for error in e.errors(include_url=False):
            field = _field_of(error)
            message = error["msg"]
            if error["type"] == "missing":
                message = "missing required key"
            elif error["type"] == "extra_forbidden":
                message = "unknown key"
            elif error["type"] == "contract_rule":
                message = message.removeprefix(field + " ")
            problems.append((field, message))
        text = "; ".join(f"{field}: {message}" for field, message in problems)
        raise ContractError(f"invalid Run Contract: {text}", field=problems[0][0]) from None


@functools.cache
def _unique_key_loader() -> type:
    import yaml

    class UniqueKeyLoader(yaml.SafeLoader):
        """A safe loader that refuses a key given twice (PyYAML keeps the last silently)."""

    def construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = loader.construct_object(key_node)
            if key in seen:
                mark = key_node.start_mark
                raise ContractError(
                    f"key {key!r} is given twice (line {mark.line + 1}); say it once",
                    field=str(key),
                )
            seen.add(key)
        return loader.construct_mapping(node)

    UniqueKeyLoader.add_constructor(
        yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping
    )
    return UniqueKeyLoader


def load_yaml_strict(text: str) -> Any:
    """Parse YAML (or JSON) refusing duplicate keys (DETERMINISTIC_FAILURE naming the key)."""
    import yaml

    return yaml.load(text, Loader=_unique_key_loader())  # noqa: S506 - a SafeLoader subclass


def load_contract_file(path: Path) -> dict[str, Any]:
    """Read a contract document from a YAML or JSON file (JSON is YAML)."""
    import yaml

    try:
        size = path.stat().st_size
    except OSError as e:
        raise ContractError(
            f"cannot read contract file {path}: {e.strerror}", field="--contract"
        ) from None
    if size > MAX_CONTRACT_BYTES:
        raise ContractError(
            f"contract file {path} is {size} bytes; the limit is {MAX_CONTRACT_BYTES}",
            field="--contract",
        )
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_unique_key_loader())
    except OSError as e:
        raise ContractError(
            f"cannot read contract file {path}: {e.strerror}", field="--contract"
        ) from None
    except UnicodeDecodeError:
        raise ContractError(f"contract file {path} is not UTF-8 text", field="--contract") from None
    except yaml.YAMLError as e:
        where = getattr(e, "problem_mark", None)
        at = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        raise ContractError(
            f"contract file {path} is not valid YAML/JSON{at}", field="--contract"
        ) from None
    if not isinstance(doc, dict):
        raise ContractError(f"contract file {path} must hold a mapping", field="--contract")
    return doc


def tool_contract(
    *,
    mode: str,
    lhs_type: str,
    lhs_location: str,
    rhs_location: str = "sqlite:///:memory:",
    schema_ref: str | None = None,
    actor: str,
    tags: list[str],
    routing_profile: str = "quality_first",
) -> dict[str, Any]:
    """The Run Contract document of a run a tool makes by itself (``conduit eval``, ``conduit
    match``): the default threshold profile, a 1,000-row sample, no token budget (no model),
    nothing auto-confirmed, the tool as an analyst."""
    budget = {"tokens": 0, "usd": "0", "wall_time_s": 600}
    rhs: dict[str, Any] = {"source": {"type": "sql"}, "location": rhs_location}
    if schema_ref is not None:
        rhs["schema_ref"] = schema_ref
    return {
        "roadmap_version": ROADMAP_VERSION,
        "mode": mode,
        "lhs": {"source": {"type": lhs_type}, "location": lhs_location},
        "rhs": rhs,
        "pii_policy": {"mask_before_send": True, "local_only_override": False},
        "budget_caps": {s: budget for s in get_args(StageName)},
        "routing_profile": routing_profile,
        "threshold_profile_id": "tp_default_v2",
        "dsl_version": "1.0.0",
        "sample_caps": {"rows_max": 1000, "bytes_max": 1048576},
        "cache_scope": {"run": True, "tab": None, "filters": {}},
        "human_confirm_required": False,
        "rbac_actor": {"user_id": actor, "role": "analyst"},
        "audit_tags": tags,
    }
