"""Backend-neutral building blocks shared by the compilers: the regexes that define casts and
date formats, so SQL and Polars check exactly the same shapes."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from dsl.ops.temporal import tokenize
from dsl.regex import Regex, parse_regex

__all__ = [
    "WHITESPACE",
    "ISO_FORMATS",
    "INT64_MIN",
    "INT64_MAX",
    "largest",
    "CANONICAL",
    "DateShape",
    "date_shape",
    "integer_shape",
    "decimal_shape",
    "DECIMAL_INT_DIGITS",
    "DECIMAL_FRACTION_DIGITS",
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

# Hours, minutes and seconds are range-checked by their shape (no engine then has to reject
# 24:00 or a leap second 23:59:60 itself); years, months and days by arithmetic or the engine.
_TOKEN_REGEX = {"Y": "([0-9]{4})", "y": "([0-9]{2})", "H": "([01][0-9]|2[0-3])"}
_TOKEN_REGEX.update({"M": "([0-5][0-9])", "S": "([0-5][0-9])"})
_REGEX_META = set("\\^$.|?*+()[]{}-")
#: Field order of the canonical text a matching string is rewritten to: Y|m|d|H|M|S.
CANONICAL = ("Y", "m", "d", "H", "M", "S")


@dataclass(frozen=True)
class DateShape:
    """A format as an anchored regex, and which capture group holds each field."""

    regex: Regex
    fields: dict[str, int]  # token letter -> group number (1-based)

    @property
    def two_digit_year(self) -> bool:
        return "y" in self.fields

    def template(self, ref: str = "\\{}", sep: str = "|") -> str:
        """Replacement text rewriting a matching string to ``Y|m|d|H|M|S`` (``0`` for fields
        the format lacks); ``ref`` spells a group reference (``\\1`` or ``${1}``)."""
        parts = []
        for letter in CANONICAL:
            group = self.fields.get("y" if letter == "Y" and self.two_digit_year else letter)
            parts.append(ref.format(group) if group else "0")
        return sep.join(parts)


def date_shape(fmt: str, *, fixed_width: bool = False) -> DateShape:
    """The shape regex of a ``date_parse`` format.

    ``%m`` and ``%d`` take one or two digits when literals (or the ends of the string) surround
    them (``3/14/2026``), and exactly two when they touch another field (``20260314``), so no
    format is ambiguous. With ``fixed_width`` (``type_cast``'s ISO shapes) they always take two.

    Example:
        >>> date_shape("%m/%d/%Y").regex.source
        '^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})$'
    """
    parts = tokenize(fmt)
    pieces: list[str] = []
    fields: dict[str, int] = {}
    for i, (kind, text) in enumerate(parts):
        if kind == "literal":
            pieces.append("".join("\\" + c if c in _REGEX_META else c for c in text))
            continue
        fields[text] = len(fields) + 1
        if text in ("m", "d"):
            touches_field = (i + 1 < len(parts) and parts[i + 1][0] == "token") or (
                i > 0 and parts[i - 1][0] == "token"
            )
            pieces.append("([0-9]{2})" if touches_field or fixed_width else "([0-9]{1,2})")
        else:
            pieces.append(_TOKEN_REGEX[text])
    return DateShape(parse_regex("^" + "".join(pieces) + "$"), fields)


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def largest(precision: int, scale: int) -> Decimal:
    """The largest value of ``decimal(precision, scale)``: 99...9.9...9.

    Example:
        >>> largest(5, 2)
        Decimal('999.99')
    """
    return Decimal((0, (9,) * precision, -scale))


def integer_shape() -> Regex:
    """Up to 19 digits; the 64-bit range is then checked on the number."""
    return parse_regex(r"^[+\-]?[0-9]{1,19}$")


#: Digits a string may have before and after the point to convert to a decimal: the value then
#: converts to decimal(38, 18) exactly on every engine, before rounding to the target scale.
DECIMAL_INT_DIGITS, DECIMAL_FRACTION_DIGITS = 20, 18


def decimal_shape() -> Regex:
    """A plain decimal number (no exponent, spaces or separators) that converts exactly to
    ``decimal(38, 18)``; overflow of the target type is checked after rounding."""
    i, f = DECIMAL_INT_DIGITS, DECIMAL_FRACTION_DIGITS
    return parse_regex(rf"^[+\-]?(?:[0-9]{{1,{i}}}(?:\.[0-9]{{0,{f}}})?|\.[0-9]{{1,{f}}})$")


def float_shape() -> Regex:
    """A decimal number with an optional exponent of at most two digits (no inf, nan, hex)."""
    return parse_regex(r"^[+\-]?(?:[0-9]{1,200}(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+\-]?[0-9]{1,2})?$")
