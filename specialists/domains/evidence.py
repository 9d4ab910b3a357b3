"""What a column says about its domain (§10 evidence extraction): pure functions, no model, no DB.

Domaining scores a column against the catalog from four kinds of evidence, built here:

- ``header_tokens``: the header's words, split at every case, digit and separator boundary,
  normalised like ``alias_key`` and with the abbreviations of ``ABBREVIATIONS`` spelled out;
- ``unit_cues``: the units the header names (``weight_kg``, ``Amt (USD)``) and those the values
  carry (``12.5 kg``, ``$1,200``), in the catalog's unit vocabulary;
- ``regex_hits``: the share of sample values that match each domain's regex;
- ``value_sketch``: a small profile of the sample (lengths, character classes, distinct ratio,
  numeric range, nulls).

The mode decides what may be read (§3): in ``metadata_only`` only the header is evidence;
``column_evidence`` then reads no value at all, and there is no regex hit and no sketch.

Hostile input stays cheap by construction: a header counts to its first ``MAX_HEADER``
characters, a sample to its first ``MAX_VALUES`` values, and a value longer than ``MAX_VALUE``
characters is a regex miss and profiled by its length and first ``MAX_VALUE`` characters only.
Every result is a frozen pydantic model; floats are rounded to 6 digits, so the same input gives
the same JSON.

>>> header_tokens("txn_dt"), header_tokens("Amt (USD)")
(('transaction', 'date'), ('amount', 'usd'))
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Literal

from core.contract import Mode
from specialists.domains.catalog import alias_key
from specialists.domains.sketch import (
    CURRENCIES,
    MAX_VALUE,
    MAX_VALUES,
    MONEY_PREFIX,
    SYMBOLS,
    CharProfile,
    EvidenceModel,
    LengthProfile,
    NumericRange,
    ValueSketch,
    first_values,
    present_values,
    share,
    value_sketch,
)

if TYPE_CHECKING:
    from specialists.domains.catalog import DomainCatalog

__all__ = [
    "ABBREVIATIONS",
    "MAX_HEADER",
    "MAX_VALUE",
    "MAX_VALUES",
    "CharProfile",
    "ColumnEvidence",
    "LengthProfile",
    "NumericRange",
    "UnitCue",
    "UnitCues",
    "UnitKind",
    "ValueSketch",
    "column_evidence",
    "header_tokens",
    "header_words",
    "regex_hits",
    "unit_cues",
    "value_sketch",
]

MAX_HEADER = 200  # characters of a header that count

#: Abbreviations people write in headers, each to the words it stands for. Only the unambiguous
#: ones: ``st`` (street or state), ``cc`` (card or cost center), ``dr``/``cr`` (doctor, debit,
#: credit), ``temp`` (temperature or temporary), ``po`` (purchase order or PO Box), ``exp``
#: (expense or expiry), ``cur``/``curr`` (currency or current) and ``tx`` (tax or transaction)
#: stay as written. Words that are already what people say (``id``, ``gl``, ``ssn``, ``iban``,
#: ``sku``) are no abbreviations here. Keys are in ``alias_key`` form.
# fmt: off
ABBREVIATIONS: Mapping[str, tuple[str, ...]] = {
    "#": ("number",), "%": ("percent",), "acct": ("account",), "addr": ("address",),
    "amt": ("amount",), "avg": ("average",), "bal": ("balance",), "bdate": ("birth", "date"),
    "ccy": ("currency",), "cd": ("code",), "chk": ("check",), "chq": ("check",), "cnt": ("count",),
    "cntry": ("country",), "ctry": ("country",), "cust": ("customer",), "dept": ("department",),
    "desc": ("description",), "descr": ("description",), "dob": ("birth", "date"),
    "doc": ("document",), "dt": ("date",), "eff": ("effective",), "emp": ("employee",),
    "fname": ("first", "name"), "fy": ("fiscal", "year"), "hgt": ("height",), "inv": ("invoice",),
    "len": ("length",), "lname": ("last", "name"), "mgr": ("manager",),
    "mname": ("middle", "name"), "mth": ("month",),
    "nbr": ("number",), "nm": ("name",), "no": ("number",), "num": ("number",), "pct": ("percent",),
    "ph": ("phone",), "pmt": ("payment",), "qty": ("quantity",), "qtr": ("quarter",),
    "ref": ("reference",), "rtng": ("routing",), "seq": ("sequence",), "tel": ("phone",),
    "tot": ("total",),
    "trx": ("transaction",), "ts": ("timestamp",), "txn": ("transaction",),
    "uom": ("unit", "of", "measure"), "vend": ("vendor",), "vndr": ("vendor",), "wid": ("width",),
    "wt": ("weight",), "yr": ("year",),
    "zip": ("postal", "code"),
}
# fmt: on

UnitKind = Literal[
    "mass",
    "length",
    "area",
    "volume",
    "temperature",
    "count",
    "percent",
    "currency",
    "minor_currency",
]
UnitSource = Literal["header", "values"]


# --- header tokens ---------------------------------------------------------------------------

_RUNS = re.compile(r"[^\W_]+|[#%]")


def _kind(c: str) -> str:
    if c.isdigit():
        return "d"
    return "u" if c.isupper() else "l"  # caseless letters (CJK) read as lower: no split


def _split_case(run: str, *, digits: bool) -> list[str]:
    """Split a run of letters and digits at case changes (and, if ``digits``, at digits)."""
    pieces, start = [], 0
    kinds = [_kind(c) for c in run]
    for i in range(1, len(run)):
        prev, cur = kinds[i - 1], kinds[i]
        nxt = kinds[i + 1] if i + 1 < len(run) else ""
        boundary = (
            (prev in "ld" and cur == "u")  # postedDate, addr1Line
            or (prev == "u" and cur == "u" and nxt == "l")  # IDNumber -> ID Number
            or (digits and (prev == "d") != (cur == "d"))  # txnID2, addr1
        )
        if boundary:
            pieces.append(run[start:i])
            start = i
    pieces.append(run[start:])
    return pieces


def _words(name: str, *, digits: bool) -> tuple[str, ...]:
    text = unicodedata.normalize("NFKC", name[:MAX_HEADER])
    words: list[str] = []
    for run in _RUNS.findall(text):
        for piece in _split_case(run, digits=digits):
            words.extend(alias_key(piece).split())
    return tuple(words)


def header_words(name: str) -> tuple[str, ...]:
    """The words of a header as written: split and normalised, abbreviations kept.

    Split at separators (``_ - . ( )``, spaces), camelCase and PascalCase humps and digit
    boundaries; each word NFKC-normalised, case-folded and without accents (``alias_key``), so
    words compare with the catalog's alias keys.

    Example:
        >>> header_words("postedDate"), header_words("POSTED_DT"), header_words("txnID2")
        (('posted', 'date'), ('posted', 'dt'), ('txn', 'id', '2'))
        >>> header_words("Straße"), header_words("Inv #")
        (('strasse',), ('inv', '#'))
    """
    return _words(name, digits=True)


def header_tokens(name: str) -> tuple[str, ...]:
    """The words of a header with the abbreviations of ``ABBREVIATIONS`` spelled out.

    Example:
        >>> header_tokens("CustAcctNbr"), header_tokens("dob"), header_tokens("Inv #")
        (('customer', 'account', 'number'), ('birth', 'date'), ('invoice', 'number'))
        >>> header_tokens("Fecha de contabilización")
        ('fecha', 'de', 'contabilizacion')
    """
    tokens: list[str] = []
    for word in header_words(name):
        tokens.extend(ABBREVIATIONS.get(word, (word,)))
    return tuple(tokens)


# --- unit cues -------------------------------------------------------------------------------


class UnitCue(EvidenceModel):
    """One unit a column is measured in, and where it was seen."""

    #: In the catalog's unit vocabulary (``kg``, ``sq ft``, ``°C``, ``%``); currencies by their
    #: ISO 4217 code, or by symbol where the symbol names several (``$``, ``¥``); ``cents`` for
    #: minor units.
    unit: str
    kind: UnitKind
    source: UnitSource
    #: The share of non-null values carrying the unit; None for a header cue.
    share: float | None = None


class UnitCues(EvidenceModel):
    """The units a header names and the values carry."""

    cues: tuple[UnitCue, ...] = ()
    #: The share of non-null values carrying any unit; None when no values were read.
    value_share: float | None = None
    #: The factor the header says the values are scaled by (``in_thousands``: 1000).
    scale: int | None = None

    @property
    def units(self) -> tuple[str, ...]:
        """The distinct units, header cues first."""
        return tuple(dict.fromkeys(c.unit for c in self.cues))

    @property
    def kinds(self) -> tuple[UnitKind, ...]:
        """The distinct kinds of unit, header cues first."""
        return tuple(dict.fromkeys(c.kind for c in self.cues))


# Header words naming a unit, in alias_key form: word -> (unit, kind, needs a context word).
# A one- or two-letter word (``c``, ``m``, ``in``, ``ac``) is a unit only beside a word of its
# kind (``temp_c``, ``length_m``): ``Amount in USD`` has no inches, ``ac_no`` no acres.
_HEADER_UNITS: Mapping[str, tuple[str, UnitKind, bool]] = {
    **{w: ("kg", "mass", False) for w in ("kg", "kgs", "kilogram", "kilograms")},
    **{w: ("lb", "mass", False) for w in ("lb", "lbs")},
    "mg": ("mg", "mass", False),
    "oz": ("oz", "mass", False),
    "g": ("g", "mass", True),
    "t": ("t", "mass", True),
    "mm": ("mm", "length", False),
    "cm": ("cm", "length", False),
    "km": ("km", "length", False),
    "yd": ("yd", "length", False),
    **{w: ("ft", "length", False) for w in ("ft", "feet")},
    **{w: ("m", "length", False) for w in ("meter", "meters", "metre", "metres")},
    "m": ("m", "length", True),
    "in": ("in", "length", True),
    "inches": ("in", "length", False),
    "mi": ("mi", "length", True),
    "miles": ("mi", "length", False),
    **{w: ("sq ft", "area", False) for w in ("sqft", "ft2")},
    **{w: ("m²", "area", False) for w in ("sqm", "m2")},
    "ac": ("ac", "area", True),
    "acres": ("ac", "area", False),
    "ha": ("ha", "area", True),
    "ml": ("ml", "volume", False),
    "cl": ("cl", "volume", False),
    **{w: ("l", "volume", False) for w in ("liter", "liters", "litre", "litres")},
    "l": ("l", "volume", True),
    **{w: ("gal", "volume", False) for w in ("gal", "gallon", "gallons")},
    "m3": ("m³", "volume", False),
    "ft3": ("ft³", "volume", False),
    **{w: ("°C", "temperature", False) for w in ("celsius", "degc")},
    **{w: ("°F", "temperature", False) for w in ("fahrenheit", "degf")},
    "kelvin": ("K", "temperature", False),
    "c": ("°C", "temperature", True),
    "f": ("°F", "temperature", True),
    "k": ("K", "temperature", True),
    "pcs": ("pcs", "count", False),
    "pc": ("pcs", "count", True),
    "ea": ("ea", "count", True),
    **{w: ("%", "percent", False) for w in ("%", "pct", "percent", "percentage")},
    **{w: ("bp", "percent", False) for w in ("bp", "bps")},
    **{w: ("cents", "minor_currency", False) for w in ("cents", "centimes", "centavos")},
    **{c.lower(): (c, "currency", False) for c in CURRENCIES},
}
_CONTEXT: Mapping[UnitKind, frozenset[str]] = {
    "mass": frozenset("weight wt mass gewicht poids peso masa masse".split()),
    "length": frozenset(
        "length len width height depth distance dist lange breite hohe entfernung longueur "
        "largeur hauteur longitud anchura altura distancia".split()
    ),
    "area": frozenset("area lot land size flache surface superficie".split()),
    "volume": frozenset("volume vol capacity volumen inhalt contenance capacite capacidad".split()),
    "temperature": frozenset("temp temperature temperatur temperatura".split()),
    "count": frozenset("qty quantity count cnt units menge anzahl quantite cantidad".split()),
}
_SCALES: Mapping[str, int] = {
    **dict.fromkeys(("thousand", "thousands", "000", "000s", "tsd", "milliers"), 1000),
    **dict.fromkeys(("million", "millions", "mio", "mn"), 1_000_000),
}

# Value suffixes, exactly as written after the number: suffix -> (unit, kind).
_VALUE_UNITS: Mapping[str, tuple[str, UnitKind]] = {
    **{u: (u, "mass") for u in ("kg", "g", "mg", "t", "lb", "oz")},
    "lbs": ("lb", "mass"),
    **{u: (u, "length") for u in ("mm", "cm", "m", "km", "in", "ft", "yd", "mi")},
    **{u: ("sq ft", "area") for u in ("sq ft", "sqft", "ft²", "ft2")},
    **{u: ("m²", "area") for u in ("sq m", "sqm", "m²", "m2")},
    "ac": ("ac", "area"),
    "ha": ("ha", "area"),
    **{u: ("ml", "volume") for u in ("ml", "mL")},
    **{u: ("l", "volume") for u in ("l", "L")},
    "cl": ("cl", "volume"),
    "gal": ("gal", "volume"),
    **{u: ("fl oz", "volume") for u in ("fl oz", "floz")},
    **{u: ("m³", "volume") for u in ("m³", "m3")},
    **{u: ("ft³", "volume") for u in ("ft³", "ft3")},
    **{u: ("°C", "temperature") for u in ("°C", "C")},
    **{u: ("°F", "temperature") for u in ("°F", "F")},
    "K": ("K", "temperature"),
    "°": ("°", "temperature"),
    "%": ("%", "percent"),
    **{u: ("bp", "percent") for u in ("bp", "bps")},
    "ea": ("ea", "count"),
    **{u: ("pcs", "count") for u in ("pcs", "pc")},
    **{c: (c, "currency") for c in CURRENCIES},
}
_NUMBER_THEN_SUFFIX = re.compile(r"[-+(]?\d(?:[\d.,' ]*\d)?\)?-?\s?(.{0,8})")


def _header_cues(name: str) -> tuple[list[UnitCue], int | None]:
    words = _words(name, digits=False)
    present = set(words)
    units: dict[str, UnitKind] = {}
    folded = unicodedata.normalize("NFKC", name[:MAX_HEADER]).casefold()
    for mark, unit in (("°c", "°C"), ("°f", "°F")):
        if mark in folded:
            units[unit] = "temperature"
    for symbol, unit in SYMBOLS.items():
        if symbol in folded:
            units[unit] = "currency"
    for i, word in enumerate(words):
        found = _HEADER_UNITS.get(word)
        if word == "sq" and words[i + 1 : i + 2] in (("ft",), ("m",)):
            found = ("sq ft" if words[i + 1] == "ft" else "m²", "area", False)
        if found is None:
            continue
        unit, kind, needs_context = found
        if needs_context and not (present & _CONTEXT.get(kind, frozenset())):
            continue
        units.setdefault(unit, kind)
    if "sq ft" in units or "m²" in units:  # the ft of "sq ft" is no length
        units.pop("ft", None)
        units.pop("m", None)
    scale = next((_SCALES[w] for w in words if w in _SCALES), None)
    cues = [UnitCue(unit=u, kind=k, source="header") for u, k in units.items()]
    return cues, scale


def _value_unit(value: str) -> tuple[str, UnitKind] | None:
    """The unit a value carries (``USD 12.00``, ``12.5 kg``, ``45%``), if it is a quantity."""
    if len(value) > MAX_VALUE:
        return None
    text = value.strip()
    prefix = MONEY_PREFIX.match(text)
    before: tuple[str, UnitKind] | None = None
    if prefix is not None:
        mark = prefix[1]
        if mark in SYMBOLS:
            before = (SYMBOLS[mark], "currency")
        elif mark in CURRENCIES:
            before = (mark, "currency")
        else:
            return None
        text = text[prefix.end() :]
    number = _NUMBER_THEN_SUFFIX.fullmatch(text)
    if number is None:
        return None
    suffix = number[1].strip()
    after = _VALUE_UNITS.get(suffix) if suffix else None
    if suffix and after is None:
        return None  # "12 apples", "2024-03-15": no quantity with a unit
    return before or after


def unit_cues(name: str, values: Sequence[str | None] | None) -> UnitCues:
    """The units the header ``name`` names and the ``values`` carry (values None: header only).

    Example:
        >>> cues = unit_cues("weight_kg", ["12.5 kg", "500 g", "7", None])
        >>> [(c.unit, c.source, c.share) for c in cues.cues], cues.value_share
        ([('kg', 'header', None), ('g', 'values', 0.333333), ('kg', 'values', 0.333333)], 0.666667)
        >>> unit_cues("temp_c", None).units, unit_cues("amount_c", None).units
        (('°C',), ())
        >>> unit_cues("Revenue (USD, in thousands)", None).scale
        1000
    """
    cues, scale = _header_cues(name)
    if values is None:
        return UnitCues(cues=tuple(cues), scale=scale)
    present = present_values(first_values(values))
    found = Counter(u for u in map(_value_unit, present) if u is not None)
    ranked = sorted(found.items(), key=lambda item: (-item[1], item[0]))
    for (unit, kind), n in ranked:
        cues.append(UnitCue(unit=unit, kind=kind, source="values", share=share(n, len(present))))
    carrying = sum(found.values())
    return UnitCues(cues=tuple(cues), value_share=share(carrying, len(present)), scale=scale)


# --- regex hits ------------------------------------------------------------------------------


@functools.lru_cache(maxsize=512)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def regex_hits(
    domain_regex_by_id: Mapping[str, str | None], values: Sequence[str | None]
) -> dict[str, float]:
    """The share of non-null values that fully match each domain's regex.

    Values are stripped of surrounding blanks first (export padding); a value longer than
    ``MAX_VALUE`` is a miss without matching. A domain without a regex has no entry; with no
    non-null value, the answer is empty (no evidence either way).

    Example:
        >>> regex_hits({"d.zip": r"^\\d{5}$", "d.none": None}, ["94105", " 10001 ", "n/a", None])
        {'d.zip': 0.666667}
        >>> regex_hits({"d.zip": r"^\\d{5}$"}, [None, ""])
        {}
    """
    present = present_values(first_values(values))
    if not present:
        return {}
    hits: dict[str, float] = {}
    for domain_id, pattern in domain_regex_by_id.items():
        if pattern is None:
            continue
        regex = _compiled(pattern)
        n = sum(1 for v in present if len(v) <= MAX_VALUE and regex.fullmatch(v.strip()))
        hits[domain_id] = share(n, len(present))
    return hits


# --- the bundle ------------------------------------------------------------------------------


class ColumnEvidence(EvidenceModel):
    """All the evidence one column gives about its domain, as persisted with an assignment."""

    #: The header, to its first ``MAX_HEADER`` characters.
    name: str
    mode: Mode
    #: The catalog the regex hits were read against (§10: evidence keeps version references).
    catalog_version: str
    words: tuple[str, ...]
    tokens: tuple[str, ...]
    units: UnitCues
    #: Domain id -> share of values matching its regex; None in metadata_only.
    regex_hits: dict[str, float] | None = None
    sketch: ValueSketch | None = None


def column_evidence(
    name: str, values: Sequence[str | None] | None, mode: Mode, catalog: DomainCatalog
) -> ColumnEvidence:
    """The evidence of the column headed ``name`` with the sample ``values``, under ``mode``.

    In ``metadata_only`` the values are not read at all (they may be None); only the header is
    evidence. In ``data_mode`` a missing sample (None) reads as an empty one.

    Example:
        >>> from specialists.domains.catalog import load_catalog
        >>> ev = column_evidence("email_addr", ["a@example.org"], "data_mode", load_catalog())
        >>> ev.tokens, ev.regex_hits["contact.email"], ev.sketch.count
        (('email', 'address'), 1.0, 1)
        >>> column_evidence("email_addr", None, "metadata_only", load_catalog()).regex_hits is None
        True
    """
    data = mode == "data_mode"
    sample = first_values(values or ()) if data else None
    patterns = {d.id: d.regex for d in catalog.domains if d.regex is not None}
    return ColumnEvidence(
        name=name[:MAX_HEADER],
        mode=mode,
        catalog_version=catalog.version,
        words=header_words(name),
        tokens=header_tokens(name),
        units=unit_cues(name, sample),
        regex_hits=regex_hits(patterns, sample) if sample is not None else None,
        sketch=value_sketch(sample, mode) if sample is not None else None,
    )
