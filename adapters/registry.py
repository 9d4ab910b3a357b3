"""The model registry: what each model is, as data (``adapters/models.yaml``).

Capabilities are tags, not code: quality and latency ranks, price per 1k input and output tokens,
context length, modality, whether it runs locally, and how long the provider keeps data.
"""

from __future__ import annotations

import functools
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.canonical import content_hash
from core.errors import ContractError

__all__ = ["ModelSpec", "Provider", "Registry", "bundled_registry", "parse_registry"]

Provider = Literal["openai", "anthropic", "groq", "ollama"]


class ModelSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=120)  # provider/model, the registry key
    provider: Provider
    model: str = Field(min_length=1, max_length=120)  # the name the provider's API expects
    quality: int = Field(ge=1, le=10)  # higher is better
    latency: int = Field(ge=1, le=10)  # higher is faster
    usd_per_1k_input: Decimal = Field(ge=0)
    usd_per_1k_output: Decimal = Field(ge=0)
    context_tokens: int = Field(gt=0)
    max_output_tokens: int = Field(gt=0)
    modality: Literal["chat", "embedding"] = "chat"
    local: bool = False
    retention_days: int = Field(default=30, ge=0)  # how long the provider keeps requests
    temperature_max: float = Field(default=2.0, gt=0)

    def cost(self, input_tokens: int, output_tokens: int) -> Decimal:
        """USD for a call of that size.

        >>> spec = ModelSpec(id="x/y", provider="openai", model="y", quality=5, latency=5,
        ...     usd_per_1k_input=Decimal("0.5"), usd_per_1k_output=Decimal("1.5"),
        ...     context_tokens=8000, max_output_tokens=1000)
        >>> spec.cost(2000, 1000)
        Decimal('2.5')
        """
        return (
            self.usd_per_1k_input * input_tokens + self.usd_per_1k_output * output_tokens
        ) / 1000


class Registry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    models: list[ModelSpec]

    def get(self, model_id: str) -> ModelSpec:
        for spec in self.models:
            if spec.id == model_id:
                return spec
        known = ", ".join(s.id for s in self.models)
        raise ContractError(f"model {model_id} is not in the registry ({known})", field="model")

    @property
    def content_hash(self) -> str:
        return content_hash(self.model_dump(mode="python"))


def parse_registry(text: str) -> Registry:
    """Parse registry YAML; DETERMINISTIC_FAILURE naming the first bad field."""
    from pydantic import ValidationError

    from core.contract import load_yaml_strict

    try:
        registry = Registry.model_validate(load_yaml_strict(text))
    except ValidationError as e:
        first = e.errors()[0]
        raise ContractError(
            f"model registry is invalid: {first['msg']}",
            field=".".join(str(p) for p in first["loc"]),
        ) from None
    ids = [s.id for s in registry.models]
    if len(set(ids)) != len(ids):
        raise ContractError("model registry repeats a model id", field="models")
    return registry


@functools.cache
def bundled_registry() -> Registry:
    """The registry shipped with Conduit (read once per process)."""
    return parse_registry((Path(__file__).parent / "models.yaml").read_text(encoding="utf-8"))
