"""Numeric ops: ``unit_convert`` and ``safe_math``, in exact decimal arithmetic.

Both take integer or decimal columns and give ``decimal(38, scale)``, rounded half away from zero
(ROUND_HALF_UP) to ``scale`` digits. NULL in, NULL out.

- ``unit_convert``: ``x * a + b`` with the constants of ``dsl.units.conversion`` (exact factors;
  non-terminating ones rounded to 15 significant digits);
- ``safe_math``: ``x <operator> operand`` for one column, or ``a <operator> b`` for a two-column
  value (debit and credit to a signed amount). Division by zero gives NULL, never an error. With
  ``nulls: zero`` a NULL operand counts as 0 (so a debit with an empty credit still has a value).
- a result that does not fit ``decimal(38, scale)`` is NULL (overflow never raises).
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import Field

from dsl.ops.base import Limits, OpBase, TypeFlowError, Value
from dsl.types import DType
from dsl.units import UnitError, conversion

__all__ = ["UnitConvert", "SafeMath", "MAX_SCALE"]

MAX_SCALE = 18
_NUMERIC = ("integer", "decimal")


class UnitConvert(OpBase):
    op: Literal["unit_convert"] = "unit_convert"
    from_unit: str = Field(min_length=1, max_length=32)
    to_unit: str = Field(min_length=1, max_length=32)
    scale: int = Field(default=6, ge=0, le=MAX_SCALE)

    accepts: ClassVar[tuple[str, ...]] = _NUMERIC

    def result(self, dtype: DType) -> DType:
        return DType("decimal", 38, self.scale)

    def problems(self, limits: Limits) -> list[tuple[str, str]]:
        for argument, unit in (("from_unit", self.from_unit), ("to_unit", self.to_unit)):
            try:
                conversion(unit, unit)
            except UnitError as e:
                return [(argument, str(e))]
        try:
            conversion(self.from_unit, self.to_unit)
        except UnitError as e:
            return [("to_unit", str(e))]
        return []


class SafeMath(OpBase):
    op: Literal["safe_math"] = "safe_math"
    operator: Literal["add", "sub", "mul", "div"]
    operand: Decimal | None = Field(default=None, allow_inf_nan=False, max_digits=30)
    scale: int = Field(default=2, ge=0, le=MAX_SCALE)
    nulls: Literal["propagate", "zero"] = "propagate"

    elementwise: ClassVar[bool] = False
    accepts: ClassVar[tuple[str, ...]] = _NUMERIC

    def max_scale(self, value: Value | list[DType]) -> int:
        """The largest scale among the inputs and the operand (division scales by it)."""
        scales = [dtype.scale for dtype in value]
        if self.operand is not None:
            exponent = self.operand.as_tuple().exponent
            scales.append(-exponent if isinstance(exponent, int) and exponent < 0 else 0)
        return max(scales)

    def output(self, value: Value) -> Value:
        if len(value) == 1 and self.operand is None:
            raise TypeFlowError("safe_math on one column needs an operand", "operand")
        if len(value) == 2 and self.operand is not None:
            raise TypeFlowError(
                "safe_math on two columns combines them; drop the operand", "operand"
            )
        if len(value) > 2:
            raise TypeFlowError("safe_math combines at most two columns")
        for dtype in value:
            if dtype.kind not in _NUMERIC:
                raise TypeFlowError(f"safe_math needs integer or decimal input, got {dtype}")
        return (DType("decimal", 38, self.scale),)
