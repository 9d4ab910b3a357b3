"""Values as the targets hand them back: decimal shapes, driver sums as Decimals, row checksums.

Shared by :mod:`specialists.migration.targets.sql` and :mod:`specialists.migration.targets.parquet`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from hashlib import sha256
from typing import Any

from core.errors import ContractError
from specialists.migration.targets.base import TargetColumn

__all__ = ["checksum_rows", "decimal_shape", "sum_as_decimal"]

_DECIMAL = re.compile(r"decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)")


def decimal_shape(column: TargetColumn) -> tuple[int, int]:
    """``decimal(p,s)`` -> ``(p, s)``; a bare ``decimal`` is ``(38, 9)``."""
    if column.type.strip() == "decimal":
        return 38, 9
    match = _DECIMAL.fullmatch(column.type.strip())
    if not match:
        raise ContractError(f"column {column.name!r}: malformed decimal type {column.type!r}")
    return int(match.group(1)), int(match.group(2))


def checksum_rows(rows: Iterable[Sequence[Any]]) -> tuple[int, str]:
    """Rows counted and hashed: one line per row, a JSON array of ``str()`` of each value
    (``null`` for NULL). Comparable within a dialect; across dialects values come back as each
    driver gives them (SQLite gives ``1`` for true and ``1.5`` for a ``DECIMAL`` ``1.50``).

    >>> checksum_rows([(1, "a", None)])[0], checksum_rows([])[1] == sha256().hexdigest()
    (1, True)
    """
    digest = sha256()
    count = 0
    for row in rows:
        line = json.dumps([None if v is None else str(v) for v in row], ensure_ascii=False)
        digest.update(line.encode() + b"\n")
        count += 1
    return count, digest.hexdigest()


def sum_as_decimal(value: Any, column: TargetColumn | None) -> Decimal:
    """A driver's ``SUM`` as a Decimal: floats by their shortest repr, decimal columns rounded to
    their scale (SQLite sums ``DECIMAL`` columns in binary floating point).

    >>> sum_as_decimal(0.1 + 0.2, TargetColumn("a", "decimal(12,2)")), sum_as_decimal(None, None)
    (Decimal('0.30'), Decimal('0'))
    """
    result = Decimal(0 if value is None else repr(value) if isinstance(value, float) else value)
    if column is not None and column.family == "decimal":
        _, scale = decimal_shape(column)
        result = result.quantize(Decimal(1).scaleb(-scale))
    return result
