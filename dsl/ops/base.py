"""What every op is: a frozen pydantic model with an ``op`` tag, a type rule and its own checks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from dsl.types import STRING, DType

__all__ = ["OpBase", "Limits", "TypeFlowError", "Value"]

#: The value flowing through a pipeline: one column, or several before they are combined.
Value = tuple[DType, ...]


@dataclass(frozen=True)
class Limits:
    """Size limits from the Policy Manifest's ``dsl_limits`` (defaults match manifest 0.1.0)."""

    max_ops_per_pipeline: int = 32
    max_map_dict_entries: int = 10_000
    max_regex_length: int = 1_000
    max_inputs_per_pipeline: int = 16


class TypeFlowError(ValueError):
    """An op does not accept the value it is given; ``field`` is the argument at fault."""

    def __init__(self, message: str, field: str = "op") -> None:
        super().__init__(message)
        self.field = field


class OpBase(BaseModel):
    """Base of every op. Subclasses set ``op`` to a ``Literal`` tag and override ``output``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: True for ops that apply to each column of a multi-column value separately.
    elementwise: ClassVar[bool] = True
    #: The column types the op accepts (elementwise ops: each column's type).
    accepts: ClassVar[tuple[str, ...]] = ("string",)

    def output(self, value: Value) -> Value:
        """The value type after this op, or TypeFlowError."""
        for dtype in value:
            if dtype.kind not in self.accepts:
                raise TypeFlowError(
                    f"{self.tag()} needs {' or '.join(self.accepts)} input, got {dtype}"
                )
        return tuple(self.result(dtype) for dtype in value)

    def result(self, dtype: DType) -> DType:
        return STRING

    def problems(self, limits: Limits) -> list[tuple[str, str]]:
        """Checks beyond types: ``[(argument, message)]``; empty when the op is fine."""
        return []

    @classmethod
    def tag(cls) -> str:
        return str(cls.model_fields["op"].default)
