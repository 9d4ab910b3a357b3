"""Canonical JSON and SHA-256: the one byte form every hash in Conduit is computed over.

Rules (a value has exactly one canonical form):

- objects: keys must be strings, sorted by code point; no insignificant white space;
- strings: UTF-8, not escaped beyond what JSON requires (no ``\\uXXXX`` for non-ASCII); a lone
  surrogate is refused;
- integers: decimal digits; booleans and null as in JSON;
- floats: the shortest text that reads back to the same double (Python's ``repr``); ``-0.0`` is
  written ``0.0``; NaN and infinities are refused (they have no JSON form);
- ``Decimal``: a JSON *string* in plain notation that keeps its scale (``Decimal("1.50")`` ->
  ``"1.50"``), because scale is part of a ``decimal(p,s)`` value; negative zero is written as zero;
  NaN and infinities are refused;
- ``date`` -> ``"YYYY-MM-DD"``; ``datetime`` must carry a time zone and is written in UTC as
  ``"YYYY-MM-DDTHH:MM:SS.ffffffZ"`` (naive datetimes are refused: their instant is unknown);
- tuples are lists; ``Enum`` members are their values; pydantic models are their fields, by
  these same rules;
- anything else (sets, bytes, arbitrary objects) is refused rather than guessed.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from core.errors import DeterministicFailure

__all__ = ["canonical_json", "sha256_hex", "content_hash", "to_canonical_value"]


class CanonicalizationError(DeterministicFailure):
    """A value has no canonical JSON form."""


_NOT_SCALAR = object()


def _scalar(value: object, path: str) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CanonicalizationError(f"{path or '/'}: {value!r} has no JSON form", field=path)
        return 0.0 if value == 0 else value
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise CanonicalizationError(f"{path or '/'}: {value!r} has no JSON form", field=path)
        return format(value.copy_abs() if value.is_zero() else value, "f")
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise CanonicalizationError(f"{path or '/'}: naive datetime {value}", field=path)
        try:
            utc = value.astimezone(dt.UTC)
        except OverflowError:
            raise CanonicalizationError(
                f"{path or '/'}: {value} is out of range in UTC", field=path
            ) from None
        return f"{utc.year:04d}-" + utc.strftime("%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return to_canonical_value(value.value, path)
    return _NOT_SCALAR


def to_canonical_value(value: object, path: str = "") -> Any:
    """Turn ``value`` into plain JSON types following the module's rules."""
    scalar = _scalar(value, path)
    if scalar is not _NOT_SCALAR:
        return scalar
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalizationError(
                    f"{path or '/'}: key {key!r} is not a string", field=path
                )
            out[key] = to_canonical_value(item, f"{path}/{key}")
        return out
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        return [to_canonical_value(item, f"{path}/{i}") for i, item in enumerate(value)]
    dump = getattr(value, "model_dump", None)
    if callable(dump):  # a pydantic model
        return to_canonical_value(dump(mode="python"), path)
    raise CanonicalizationError(
        f"{path or '/'}: {type(value).__name__} has no canonical JSON form", field=path
    )


def canonical_json(value: object) -> bytes:
    """Encode ``value`` as canonical JSON bytes.

    Example:
        >>> canonical_json({"b": 1, "a": [True, None, "é"]})
        b'{"a":[true,null,"\\xc3\\xa9"],"b":1}'
    """
    plain = to_canonical_value(value)
    text = json.dumps(plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as e:  # a lone surrogate: not a Unicode scalar value
        raise CanonicalizationError(f"a string holds a lone surrogate ({e.reason})") from None


def sha256_hex(data: bytes) -> str:
    """Lower-case hex SHA-256 of ``data``.

    Example:
        >>> sha256_hex(b"")[:12]
        'e3b0c44298fc'
    """
    return hashlib.sha256(data).hexdigest()


def content_hash(value: object) -> str:
    """SHA-256 of the canonical JSON of ``value``."""
    return sha256_hex(canonical_json(value))
