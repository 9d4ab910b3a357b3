"""The value sketch of a column sample (§10, ``data_mode`` only), and what evidence shares.

A sketch is a small profile of the sample: lengths, character classes, distinct ratio, numeric
range, nulls. In ``metadata_only`` there is none and no value is read. ``specialists.domains.
evidence`` bundles it with the header and unit evidence.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence

from pydantic import BaseModel, ConfigDict

from core.contract import Mode

__all__ = [
    "MAX_VALUE",
    "MAX_VALUES",
    "CURRENCIES",
    "MONEY_PREFIX",
    "SYMBOLS",
    "CharProfile",
    "EvidenceModel",
    "LengthProfile",
    "NumericRange",
    "ValueSketch",
    "first_values",
    "is_blank",
    "present_values",
    "share",
    "value_sketch",
]

MAX_VALUE = 200  # characters of a value that are matched or profiled
MAX_VALUES = 1000  # values of a sample that count

#: ISO 4217 codes common in exports; a header word or a value prefix/suffix naming one.
CURRENCIES = frozenset(
    "USD EUR GBP JPY CHF CAD MXN AUD NZD SEK NOK DKK PLN CZK HUF BRL ARS CLP INR CNY "
    "HKD SGD KRW ZAR ILS AED SAR THB".split()
)
#: Currency symbols, to the code they name (``$`` and ``¥`` name several: kept as written).
SYMBOLS: Mapping[str, str] = {"$": "$", "€": "EUR", "£": "GBP", "¥": "¥"}
#: A money prefix: a symbol, or a three-letter code and a space.
MONEY_PREFIX = re.compile(r"([$€£¥]|[A-Z]{3}(?= ))\s?")


class EvidenceModel(BaseModel):
    """A frozen evidence record with deterministic JSON."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def to_json(self) -> str:
        """The model as JSON, fields in declaration order (deterministic)."""
        return self.model_dump_json()


# --- value sketch ----------------------------------------------------------------------------


class LengthProfile(EvidenceModel):
    """Lengths of the non-null values, in characters (quantiles by nearest rank)."""

    min: int
    max: int
    mean: float
    p25: int
    p50: int
    p75: int


class CharProfile(EvidenceModel):
    """Shares of the characters of the non-null values (their first ``MAX_VALUE`` characters)."""

    digit: float
    letter: float
    space: float
    #: Unicode punctuation and symbols (``-``, ``.``, ``$``, ``+``).
    punct: float
    #: Anything else: control characters, combining marks, unassigned code points.
    other: float


class NumericRange(EvidenceModel):
    """The range of the values that read as numbers (thousands separators, currency removed)."""

    min: float
    max: float
    #: The share of non-null values that read as numbers.
    share: float


class ValueSketch(EvidenceModel):
    """A small, PII-free profile of a column's sample (data_mode only)."""

    #: Values profiled: the sample's first ``MAX_VALUES``.
    count: int
    null_share: float
    #: Distinct non-null values (by their first ``MAX_VALUE`` characters) per non-null value.
    distinct_ratio: float
    length: LengthProfile | None = None
    chars: CharProfile | None = None
    numeric: NumericRange | None = None


_PLAIN_NUMBER = re.compile(r"\d+(?:\.\d+)?")
# 1,250 groups thousands (one group is enough for a comma, as US exports write it); a dot needs
# two groups (1.234.567), since 1.234 is more often a decimal (an exchange rate) than a thousand.
_GROUPED = {
    ",": re.compile(r"[1-9]\d{0,2}(?:,\d{3})+"),
    ".": re.compile(r"[1-9]\d{0,2}(?:\.\d{3}){2,}"),
}


def _number(value: str) -> float | None:
    """``value`` as a number: ``$1,200.00``, ``(250.00)``, ``1.234,56``, ``250.00-``, ``EUR 5``."""
    if len(value) > MAX_VALUE:
        return None
    text = value.strip()
    prefix = MONEY_PREFIX.match(text)
    if prefix is not None:
        if prefix[1] not in SYMBOLS and prefix[1] not in CURRENCIES:
            return None
        text = text[prefix.end() :]
    if text[-3:].lstrip() in CURRENCIES:
        text = text[:-3].rstrip()
    negative = text.startswith(("-", "(")) or text.endswith("-")
    text = text.strip("-+()").lstrip("$€£¥ ").replace("'", "").replace(" ", "")
    comma, dot = text.rfind(","), text.rfind(".")
    if comma >= 0 and dot >= 0:  # the later one is the decimal separator
        thousands, decimal = (",", ".") if dot > comma else (".", ",")
        text = text.replace(thousands, "").replace(decimal, ".")
    elif comma >= 0 or dot >= 0:
        mark = "," if comma >= 0 else "."
        text = text.replace(mark, "") if _GROUPED[mark].fullmatch(text) else text.replace(",", ".")
    if _PLAIN_NUMBER.fullmatch(text) is None:
        return None
    number = float(text)
    return -number if negative else number


def _char_profile(present: list[str]) -> CharProfile | None:
    counts = {"digit": 0, "letter": 0, "space": 0, "punct": 0, "other": 0}
    for value in present:
        for c in value[:MAX_VALUE]:
            if c.isdigit():
                counts["digit"] += 1
            elif c.isalpha():
                counts["letter"] += 1
            elif c.isspace():
                counts["space"] += 1
            elif unicodedata.category(c)[0] in "PS":
                counts["punct"] += 1
            else:
                counts["other"] += 1
    total = sum(counts.values())
    if total == 0:
        return None
    return CharProfile(**{k: share(n, total) for k, n in counts.items()})


def _length_profile(present: list[str]) -> LengthProfile | None:
    lengths = sorted(len(v) for v in present)
    if not lengths:
        return None

    def rank(q: float) -> int:
        return lengths[max(0, math.ceil(q * len(lengths)) - 1)]

    return LengthProfile(
        min=lengths[0],
        max=lengths[-1],
        mean=round(sum(lengths) / len(lengths), 6),
        p25=rank(0.25),
        p50=rank(0.5),
        p75=rank(0.75),
    )


def value_sketch(values: Sequence[str | None], mode: Mode) -> ValueSketch | None:
    """The sketch of a column's sample in ``data_mode``; None, reading nothing, in metadata_only.

    Example:
        >>> sketch = value_sketch(["$1,200.00", "(35.50)", "n/a", None], "data_mode")
        >>> sketch.null_share, sketch.numeric.min, sketch.numeric.max, sketch.length.max
        (0.25, -35.5, 1200.0, 9)
        >>> value_sketch(["x"], "metadata_only") is None
        True
    """
    if mode != "data_mode":
        return None
    sample = first_values(values)
    present = present_values(sample)
    numbers = [n for n in map(_number, present) if n is not None]
    distinct = len({v[:MAX_VALUE] for v in present})
    return ValueSketch(
        count=len(sample),
        null_share=share(len(sample) - len(present), len(sample)),
        distinct_ratio=share(distinct, len(present)),
        length=_length_profile(present),
        chars=_char_profile(present),
        numeric=NumericRange(
            min=round(min(numbers), 6),
            max=round(max(numbers), 6),
            share=share(len(numbers), len(present)),
        )
        if numbers
        else None,
    )


def first_values(values: Sequence[str | None]) -> list[str | None]:
    return list(values[:MAX_VALUES])


def present_values(values: list[str | None]) -> list[str]:
    """The non-null values: None and blank cells (``""``, ``"  "``) are nulls."""
    return [v for v in values if v is not None and not is_blank(v)]


def is_blank(value: str) -> bool:
    # A value past MAX_VALUE characters is never blank: it is not stripped, so it stays cheap.
    return len(value) <= MAX_VALUE and not value.strip()


def share(n: int, total: int) -> float:
    return round(n / total, 6) if total else 0.0
