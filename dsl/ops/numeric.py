"""Numeric ops: ``unit_convert`` and ``safe_math``, in exact decimal arithmetic.

Both take integer or decimal columns and give ``decimal(p, scale)``, rounded half away from zero
(ROUND_HALF_UP) to ``scale`` digits, where ``p`` has room for every integer digit the exact
result can have (at most 38). NULL in, NULL out. Arithmetic is exact within 38 digits: an op
whose exact intermediate could need more is refused when the pipeline is validated (engines would
overflow differently), so cast wide inputs to a narrower decimal first.

- ``unit_convert``: ``x * a + b`` with the constants of ``dsl.units.conversion`` (exact factors;
  non-terminating ones rounded to 15 significant digits);
- ``safe_math``: ``x <operator> operand`` for one column, or ``a <operator> b`` for a two-column
  value (debit and credit to a signed amount). Division by zero gives NULL, never an error. With
  ``nulls: zero`` a NULL operand counts as 0 (so a debit with an empty credit still has a value).
- overflow cannot happen: the width checks at validation rule it out.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import Field

from dsl.ops.base import Limits, OpBase, TypeFlowError, Value
from dsl.types import DType
from dsl.units import UnitError, conversion

__all__ = [
    "UnitConvert",
    "SafeMath",
    "MAX_SCALE",
    "MAX_DIGITS",
    "decimal_of",
    "literal_type",
    "result_type",
]

MAX_SCALE = 18
#: Exact decimal arithmetic is done within 38 digits on every engine; an op whose exact
#: intermediate result could need more is refused when the pipeline is validated, because
#: engines would then overflow differently (error, wrap, NULL or rounding).
MAX_DIGITS = 38
_NUMERIC = ("integer", "decimal")


def decimal_of(dtype: DType) -> DType:
    """Integers enter decimal arithmetic as decimal(19, 0)."""
    return DType("decimal", 19, 0) if dtype.kind == "integer" else dtype


def literal_type(value: Decimal) -> DType:
    """The smallest decimal(p, s) that holds ``value`` exactly."""
    text = format(value, "f")
    digits = text.lstrip("-").replace(".", "").lstrip("0") or "0"
    scale = len(text.split(".")[1]) if "." in text else 0
    return DType("decimal", max(len(digits), scale + 1), scale)


def result_type(integer_digits: int, scale: int) -> DType:
    """decimal(p, scale) with room for ``integer_digits`` before the point, at most 38."""
    return DType("decimal", max(1, min(MAX_DIGITS, integer_digits + scale)), scale)


def _too_wide(need: int, what: str) -> TypeFlowError:
    return TypeFlowError(
        f"{what} needs {need} digits exactly; the DSL computes within {MAX_DIGITS}: cast the "
        "input to a narrower decimal first"
    )


class UnitConvert(OpBase):
    op: Literal["unit_convert"] = "unit_convert"
    from_unit: str = Field(min_length=1, max_length=32)
    to_unit: str = Field(min_length=1, max_length=32)
    scale: int = Field(default=6, ge=0, le=MAX_SCALE)

    accepts: ClassVar[tuple[str, ...]] = _NUMERIC

    def result(self, dtype: DType) -> DType:
        c = conversion(self.from_unit, self.to_unit)
        x, a = decimal_of(dtype), literal_type(c.a)
        need = x.precision + a.precision + (1 if c.b else 0)
        if need > MAX_DIGITS or x.scale + a.scale > MAX_DIGITS:
            raise _too_wide(need, f"{x} * {c.a}")
        digits = (x.precision - x.scale) + (a.precision - a.scale) + (1 if c.b else 0)
        return result_type(digits, self.scale)

    def output(self, value: Value) -> Value:
        try:
            conversion(self.from_unit, self.to_unit)
        except UnitError:
            return value  # reported by problems()
        return super().output(value)

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
        a = decimal_of(value[0])
        b = literal_type(self.operand) if self.operand is not None else decimal_of(value[1])
        self._check_width(a, b)
        ia, ib = a.precision - a.scale, b.precision - b.scale
        digits = {"mul": ia + ib, "add": max(ia, ib) + 1, "sub": max(ia, ib) + 1}.get(
            self.operator,
            ia + b.scale,  # a / b: |b| >= 10^-scale(b) unless it is 0
        )
        return (result_type(digits, self.scale),)

    def _check_width(self, a: DType, b: DType) -> None:
        what = f"{a} {self.operator} {b}"
        if self.operator == "mul":
            if a.precision + b.precision > MAX_DIGITS:
                raise _too_wide(a.precision + b.precision, what)
        elif self.operator in ("add", "sub"):
            scale = max(a.scale, b.scale)
            need = max(a.precision - a.scale, b.precision - b.scale) + scale + 1
            if need > MAX_DIGITS:
                raise _too_wide(need, what)
        else:  # div: scaled integers |a| * 10^(k + scale) must stay below 10^37
            k = max(a.scale, b.scale)
            need = max(a.precision - a.scale, b.precision - b.scale) + k + self.scale
            if need > MAX_DIGITS - 1:
                raise _too_wide(need, what)
