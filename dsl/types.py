"""Value types of the DSL, as the golden-set schema names them.

``string``, ``integer`` (64-bit signed), ``float`` (IEEE double), ``decimal(p,s)`` (1 <= p <= 38,
0 <= s <= p), ``boolean``, ``date``, ``timestamp`` (no time zone; always UTC).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["DType", "Kind", "parse_type", "STRING"]

Kind = Literal["string", "integer", "float", "decimal", "boolean", "date", "timestamp"]
_DECIMAL = re.compile(r"decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)")
MAX_PRECISION = 38


@dataclass(frozen=True)
class DType:
    kind: Kind
    precision: int = 0
    scale: int = 0

    def __str__(self) -> str:
        return f"decimal({self.precision},{self.scale})" if self.kind == "decimal" else self.kind

    @property
    def numeric(self) -> bool:
        return self.kind in ("integer", "float", "decimal")


STRING = DType("string")


def parse_type(text: str) -> DType:
    """Parse a type name.

    Example:
        >>> parse_type("decimal(12, 2)")
        DType(kind='decimal', precision=12, scale=2)
    """
    name = text.strip().lower()
    if name in ("string", "integer", "float", "boolean", "date", "timestamp"):
        return DType(name)  # type: ignore[arg-type]
    match = _DECIMAL.fullmatch(name)
    if match:
        p, s = int(match[1]), int(match[2])
        if not (1 <= p <= MAX_PRECISION and 0 <= s <= p):
            raise ValueError(f"decimal({p},{s}): need 1 <= p <= {MAX_PRECISION} and 0 <= s <= p")
        return DType("decimal", p, s)
    raise ValueError(
        f"unknown type {text!r}; use string, integer, float, decimal(p,s), boolean, date or "
        "timestamp"
    )
