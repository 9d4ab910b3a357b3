"""Units for ``unit_convert``: a small table with exact factors, and where they come from.

Why a table and not pint: a conversion must compile to the same exact decimal arithmetic in SQL
and in Polars, so each factor has to be a decimal constant we control. pint's registry gives
floats (``0.45359237`` arrives as a binary double) and would be a 1 MB import for some forty
numbers. The factors below are the exact definitions of NIST SP 811 (2008), Appendix B.8, and
ISO 4217 for currency exponents.

Semantics: ``y = round_half_up(x * a + b, scale)`` computed in exact decimal arithmetic, where
``a`` and ``b`` are decimal constants derived from the table. When ``a`` does not terminate (m to
ft is 1/0.3048 = 3.2808398950131233...) it is rounded to 15 significant digits; the constant is
part of the compiled plan, so every backend multiplies by the same number.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal
from fractions import Fraction

__all__ = ["UNITS", "CURRENCY_EXPONENTS", "Linear", "conversion", "UnitError"]

_D = Decimal


@dataclass(frozen=True)
class _Unit:
    dimension: str
    factor: Fraction  # value in the dimension's base unit = x * factor + offset, exactly
    offset: Fraction = Fraction(0)


def _table() -> dict[str, _Unit]:
    units: dict[str, _Unit] = {}

    def add(dimension: str, names: str, factor: str, offset: str = "0") -> None:
        for name in names.split():
            units[name] = _Unit(dimension, Fraction(factor), Fraction(offset))

    # length, base metre
    add("length", "m metre meter", "1")
    add("length", "km", "1000")
    add("length", "cm", "0.01")
    add("length", "mm", "0.001")
    add("length", "in inch", "0.0254")
    add("length", "ft foot", "0.3048")
    add("length", "yd yard", "0.9144")
    add("length", "mi mile", "1609.344")
    add("length", "nmi", "1852")
    # mass, base kilogram
    add("mass", "kg", "1")
    add("mass", "g", "0.001")
    add("mass", "mg", "0.000001")
    add("mass", "t tonne", "1000")
    add("mass", "lb lbs pound", "0.45359237")
    add("mass", "oz ounce", "0.028349523125")
    add("mass", "st stone", "6.35029318")
    # volume, base litre
    add("volume", "l L litre liter", "1")
    add("volume", "ml mL", "0.001")
    add("volume", "m3", "1000")
    add("volume", "gal gal_us", "3.785411784")
    add("volume", "qt", "0.946352946")
    add("volume", "pt", "0.473176473")
    add("volume", "floz fl_oz", "0.0295735295625")
    add("volume", "gal_imp", "4.54609")
    # time, base second
    add("time", "s sec second", "1")
    add("time", "ms", "0.001")
    add("time", "min minute", "60")
    add("time", "h hr hour", "3600")
    add("time", "d day", "86400")
    add("time", "wk week", "604800")
    # data size, base byte
    add("data", "B byte", "1")
    add("data", "bit", "0.125")
    add("data", "kB KB", "1000")
    add("data", "MB", "1000000")
    add("data", "GB", "1000000000")
    add("data", "TB", "1000000000000")
    add("data", "KiB", "1024")
    add("data", "MiB", "1048576")
    add("data", "GiB", "1073741824")
    # temperature, base kelvin (affine)
    add("temperature", "K kelvin", "1")
    add("temperature", "C degC celsius", "1", "273.15")
    add("temperature", "F degF fahrenheit", "5/9", "45967/180")  # (x + 459.67) * 5/9
    return units


UNITS = _table()

#: ISO 4217 minor-unit exponents; ``USD`` is the major unit and ``USD.minor`` the minor one.
CURRENCY_EXPONENTS = {
    "USD": 2, "EUR": 2, "GBP": 2, "CHF": 2, "CAD": 2, "AUD": 2, "NZD": 2, "CNY": 2, "INR": 2,
    "MXN": 2, "BRL": 2, "SEK": 2, "NOK": 2, "DKK": 2, "PLN": 2, "ZAR": 2, "SGD": 2, "HKD": 2,
    "JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "VND": 0,
    "BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3, "TND": 3,
}  # fmt: skip


class UnitError(ValueError):
    """Unknown unit, or units of different dimensions."""


@dataclass(frozen=True)
class Linear:
    """``y = x * a + b`` with exact decimal constants."""

    a: Decimal
    b: Decimal


_CTX = Context(prec=15, rounding=ROUND_HALF_UP)


def _currency(unit: str) -> tuple[str, int] | None:
    code, _, minor = unit.partition(".")
    if code in CURRENCY_EXPONENTS and minor in ("", "minor"):
        return code, CURRENCY_EXPONENTS[code] if minor else 0
    return None


def conversion(source: str, target: str) -> Linear:
    """The constants converting ``source`` to ``target``.

    Example:
        >>> conversion("USD.minor", "USD")
        Linear(a=Decimal('0.01'), b=Decimal('0'))
        >>> conversion("lb", "kg").a
        Decimal('0.45359237')
    """
    cur_s, cur_t = _currency(source), _currency(target)
    if cur_s or cur_t:
        if not (cur_s and cur_t) or cur_s[0] != cur_t[0]:
            raise UnitError(
                f"{source} -> {target}: currencies convert only between a currency's major and "
                "minor unit (e.g. USD.minor -> USD); exchange rates are data, not units"
            )
        # 1 minor unit = 10**-exponent major units
        return Linear(_D(format(_D(1).scaleb(cur_t[1] - cur_s[1]), "f")), _D(0))
    try:
        s, t = UNITS[source], UNITS[target]
    except KeyError as e:
        raise UnitError(f"unknown unit {e.args[0]!r}; known: {', '.join(sorted(UNITS))}") from None
    if s.dimension != t.dimension:
        raise UnitError(f"{source} is {s.dimension}, {target} is {t.dimension}")
    # base = x*fs + os ; y = (base - ot) / ft  =>  a = fs/ft, b = (os - ot)/ft
    return Linear(_decimal(s.factor / t.factor), _decimal((s.offset - t.offset) / t.factor))


def _decimal(value: Fraction) -> Decimal:
    """``value`` exactly when its decimal expansion terminates, else to 15 significant digits."""
    den = value.denominator
    for prime in (2, 5):
        while den % prime == 0:
            den //= prime
    if den == 1:
        exact = Context(prec=60).divide(_D(value.numerator), _D(value.denominator))
        return _D(format(exact.normalize(), "f")) if exact else _D(0)
    return _CTX.divide(_D(value.numerator), _D(value.denominator))
