"""Backend-neutral building blocks shared by the compilers: the regexes that define casts and
date formats, so SQL and Polars check exactly the same shapes."""

from __future__ import annotations

from dataclasses import dataclass

from dsl.ops.temporal import tokenize
from dsl.regex import Regex, parse_regex

__all__ = [
    "WHITESPACE",
    "ISO_FORMATS",
    "DateShape",
    "date_shape",
    "integer_shape",
    "decimal_shape",
    "decimal_truncate",
    "float_shape",
    "BOOL_TRUE",
    "BOOL_FALSE",
]

#: The DSL's whitespace: space, \t, \n, \v, \f, \r (ASCII only; see dsl.ops.string).
WHITESPACE = " \t\n\v\f\r"
#: What ``type_cast`` reads as a date or timestamp (other shapes: ``date_parse``).
ISO_FORMATS = {"date": ["%Y-%m-%d"], "timestamp": ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"]}
BOOL_TRUE = ("true", "t", "yes", "y", "1")
BOOL_FALSE = ("false", "f", "no", "n", "0")

_TOKEN_REGEX = {"Y": "([0-9]{4})", "y": "([0-9]{2})", "H": "([0-9]{2})", "M": "([0-9]{2})"}
_TOKEN_REGEX["S"] = "([0-9]{2})"


@dataclass(frozen=True)
class DateShape:
    """A format as an anchored regex, and which capture group holds each field."""

    regex: Regex
    fields: dict[str, int]  # token letter -> group number (1-based)


def date_shape(fmt: str) -> DateShape:
    """The shape regex of a ``date_parse`` format.

    ``%m`` and ``%d`` take one or two digits when literals (or the ends of the string) surround
    them (``3/14/2026``), and exactly two when they touch another field (``20260314``), so no
    format is ambiguous.

    Example:
        >>> date_shape("%m/%d/%Y").regex.source
        '^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})$'
    """
    parts = tokenize(fmt)
    pieces: list[str] = []
    fields: dict[str, int] = {}
    for i, (kind, text) in enumerate(parts):
        if kind == "literal":
            pieces.append("".join("\\" + c if not c.isalnum() and c != " " else c for c in text))
            continue
        fields[text] = len(fields) + 1
        if text in ("m", "d"):
            touches_field = (i + 1 < len(parts) and parts[i + 1][0] == "token") or (
                i > 0 and parts[i - 1][0] == "token"
            )
            pieces.append("([0-9]{2})" if touches_field else "([0-9]{1,2})")
        else:
            pieces.append(_TOKEN_REGEX[text])
    return DateShape(parse_regex("^" + "".join(pieces) + "$"), fields)


def integer_shape() -> Regex:
    """At most 18 digits, so every accepted value fits a 64-bit integer."""
    return parse_regex(r"^[+\-]?[0-9]{1,18}$")


def decimal_shape(scale: int) -> Regex:
    """A plain decimal number (no exponent, spaces or separators) short enough to convert to
    ``decimal(38, scale + 1)`` exactly; overflow of the target type is checked after rounding."""
    int_digits = 37 - scale
    return parse_regex(rf"^[+\-]?(?:[0-9]{{1,{int_digits}}}(?:\.[0-9]*)?|\.[0-9]+)$")


def decimal_truncate(scale: int) -> Regex:
    """The prefix of a decimal string kept before rounding: ``scale + 1`` fraction digits are
    enough to round half away from zero exactly."""
    return parse_regex(rf"^[+\-]?[0-9]*(?:\.[0-9]{{0,{scale + 1}}})?")


def float_shape() -> Regex:
    """A decimal number with an optional exponent of at most two digits (no inf, nan, hex)."""
    return parse_regex(r"^[+\-]?(?:[0-9]{1,200}(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+\-]?[0-9]{1,2})?$")
