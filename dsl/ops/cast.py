"""``type_cast``: convert a column to another type; a value that does not convert is NULL.

From strings (no trimming: trim first):

- ``integer``: ``[+-]?`` and 1 to 19 digits, within the 64-bit range;
- ``decimal(p,s)``: ``[+-]?`` digits with an optional ``.`` and fraction (``12``, ``12.5``,
  ``.5``, ``12.``), at most 20 digits before the point and 18 after, rounded half away from
  zero to ``s`` digits; a value that does not fit ``decimal(p,s)`` is NULL (overflow never
  raises);
- ``float``: a decimal number as for ``decimal``, optionally with an exponent of one or two
  digits (``1.5e3``), read as the nearest double;
- ``boolean``: ``true/false, t/f, yes/no, y/n, 1/0``, ASCII letters in any case;
- ``date``: ``YYYY-MM-DD`` with two-digit month and day (other shapes: ``date_parse``);
  ``timestamp``: ``YYYY-MM-DD HH:MM:SS`` or with ``T``.

Between types: integer and decimal convert both ways (decimal to integer rounds half away from
zero); integer, decimal and boolean to ``string`` give the plain text (``12.50`` keeps its scale,
booleans are ``true``/``false``); ``date`` to ``timestamp`` is midnight, and back drops the time;
``float`` to ``string`` is refused: engines print doubles differently.

``number_format`` (string to integer, decimal or float only) reads formatted amounts: first a
value in parentheses becomes negative (``(45.00)`` is ``-45.00``), then each ``currency`` symbol
and every ``thousands`` separator is removed wherever it appears, a decimal comma becomes a point,
and ASCII whitespace at the ends is trimmed; the result must then have the plain shape above. So
``-$4,053.64`` with ``{"currency": ["$"]}`` is ``-4053.64``, and ``1.234,5`` with
``{"thousands": ".", "decimal": ","}`` is ``1234.5``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from dsl.ops.base import OpBase, TypeFlowError, Value
from dsl.types import DType, parse_type

__all__ = ["TypeCast", "CASTS", "NumberFormat"]

#: Allowed (from, to) kinds.
CASTS: set[tuple[str, str]] = {
    ("string", "integer"),
    ("string", "decimal"),
    ("string", "float"),
    ("string", "boolean"),
    ("string", "date"),
    ("string", "timestamp"),
    ("string", "string"),
    ("integer", "decimal"),
    ("integer", "string"),
    ("integer", "float"),
    ("integer", "integer"),
    ("decimal", "integer"),
    ("decimal", "decimal"),
    ("decimal", "string"),
    ("decimal", "float"),
    ("boolean", "string"),
    ("date", "timestamp"),
    ("timestamp", "date"),
}


class NumberFormat(BaseModel):
    """How a formatted number is written (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    thousands: Literal[",", ".", " ", "'", ""] = ","
    decimal: Literal[".", ","] = "."
    currency: list[str] = Field(default_factory=list, max_length=8)
    parentheses: bool = True

    @model_validator(mode="after")
    def _distinct(self) -> NumberFormat:
        if self.thousands == self.decimal:
            raise ValueError("thousands and decimal separators must differ")
        for symbol in self.currency:
            if not symbol or len(symbol) > 8 or any(c in "0123456789.,+-() " for c in symbol):
                raise ValueError(f"currency symbol {symbol!r}: 1-8 characters, no digits or signs")
        return self


class TypeCast(OpBase):
    op: Literal["type_cast"] = "type_cast"
    to: str = Field(min_length=1, max_length=32)
    number_format: NumberFormat | None = None

    @field_validator("to")
    @classmethod
    def _known_type(cls, value: str) -> str:
        return str(parse_type(value))

    @property
    def target(self) -> DType:
        return parse_type(self.to)

    def output(self, value: Value) -> Value:
        if self.number_format is not None and (
            self.target.kind not in ("integer", "decimal", "float")
            or any(dtype.kind != "string" for dtype in value)
        ):
            raise TypeFlowError(
                "number_format reads strings as integer, decimal or float", "number_format"
            )
        out = []
        for dtype in value:
            if (dtype.kind, self.target.kind) not in CASTS:
                why = " (engines print doubles differently)" if dtype.kind == "float" else ""
                raise TypeFlowError(f"cannot cast {dtype} to {self.target}{why}", "to")
            out.append(self.target)
        return tuple(out)
