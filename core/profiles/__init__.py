"""Threshold Profiles (§29): versioned YAML files, validated, content-hashed and stored.

The bundled profiles live beside this module as ``<profile_id>.yaml``.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from core.canonical import content_hash
from core.errors import ContractError, NotFoundError

__all__ = [
    "DomainWeights",
    "ThresholdProfile",
    "bundled_profiles",
    "load_profile_file",
    "profile_body",
    "profile_hash",
]

_DIR = Path(__file__).parent
Unit = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DomainWeights(_Frozen):
    """The weights of the domain score's terms (§10): name, regex, value shapes, units."""

    alpha: Unit
    beta: Unit
    gamma: Unit
    epsilon: Unit

    @model_validator(mode="after")
    def _sum_to_one(self) -> DomainWeights:
        total = self.alpha + self.beta + self.gamma + self.epsilon
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"domaining.weights must sum to 1, not {total:g}")
        return self


class Domaining(_Frozen):
    tau_high: Unit  # calibrated confidence at or above which a domain is assigned
    tau_low: Unit  # below it a column's domain is unknown
    # Added in tp_default_v2; a profile without them (tp_default_v1) gets the code's defaults
    # (``specialists.domains.score.ScoreWeights``, ``DEFAULT_BORDERLINE_SHARE_MAX``). Absent
    # fields are left out of the profile's body and hash, so v1's hash did not change.
    weights: DomainWeights | None = None
    #: The Domains gate holds the run when more than this share of columns is borderline.
    borderline_share_max: Unit | None = None


class Mapping(_Frozen):
    accept_rate_min: Unit
    near_match_window: Unit


class Analysis(_Frozen):
    null_rate_max: Unit
    dup_key_rate_max: Unit


class Migration(_Frozen):
    batch_size: int = Field(gt=0, le=10_000_000)
    validation_checks: list[Literal["row_count", "checksum", "fk_check"]] = Field(min_length=1)


class TokenBudget(_Frozen):
    tokens: int = Field(ge=0)


class Budgets(_Frozen):
    domaining: TokenBudget
    mapping: TokenBudget


class ThresholdProfile(_Frozen):
    """A Threshold Profile with every field of §29."""

    profile_id: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
    version: Annotated[str, StringConstraints(pattern=r"^\d+\.\d+\.\d+$")]
    description: str = ""
    domaining: Domaining
    mapping: Mapping
    analysis: Analysis
    migration: Migration
    budgets: Budgets

    @model_validator(mode="after")
    def _bands_ordered(self) -> ThresholdProfile:
        if self.domaining.tau_low >= self.domaining.tau_high:
            raise ValueError("domaining.tau_low must be below domaining.tau_high")
        return self


def profile_hash(profile: ThresholdProfile) -> str:
    """Content hash of a profile (canonical JSON)."""
    return content_hash(profile_body(profile))


def profile_body(profile: ThresholdProfile) -> dict[str, object]:
    """The stored form of a profile: its fields, with optional fields it does not set left out."""
    return profile.model_dump(mode="python", exclude_none=True)


def load_profile_file(path: Path) -> ThresholdProfile:
    """Load and validate one profile YAML file."""
    import yaml
    from pydantic import ValidationError

    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        return ThresholdProfile.model_validate(doc)
    except FileNotFoundError:
        raise NotFoundError(f"no threshold profile file {path}") from None
    except (yaml.YAMLError, ValidationError) as e:
        raise ContractError(f"threshold profile {path.name} is invalid: {e}") from None


@functools.cache
def bundled_profiles() -> tuple[ThresholdProfile, ...]:
    """Every profile shipped with Conduit, sorted by id (read once per process)."""
    return tuple(load_profile_file(p) for p in sorted(_DIR.glob("*.yaml")))
