"""Value evidence: Presidio's pattern recognizers, configured for tables and checked again.

The analyzer is built once per process with an explicit configuration: no NLP model (person
names are :mod:`policy.pii.ner`'s job), only the recognizers of the entities we mask, only US
country recognizers (others misfire: a US phone number scores 1.0 as a UK NHS number), email
domains checked by their syntax (tldextract would try the network, and does not know intranet
domains), no context enhancer (there are no NLP tokens to enhance with).

Presidio finds candidates; this module grades them. Every span gets a ``grade``:

- ``validated``: a checksum or a grammar decides (email, separated card with Luhn and a real
  prefix, IBAN mod-97, IPv6 address, URL with a scheme or ``www.``); safe in any column;
- ``formatted``: a shape people write mostly for that entity (``123-45-6789``, ``(415) 555-0134``,
  ``+44 20 7946 0958``, ``12-3456789``, a street line, a dotted quad, an unseparated card);
- ``weak``: a bare digit string (``4155550134``, ``021000021``); used only with column evidence.

Spans that are part of a larger token are dropped: ``INV-2024-000123`` holds no phone number.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from policy.manifest import Entity

if TYPE_CHECKING:
    from presidio_analyzer import AnalyzerEngine

__all__ = [
    "Grade",
    "Span",
    "analyzer",
    "clear_caches",
    "find_spans",
    "luhn_ok",
    "resolve_overlaps",
]

Grade = Literal["validated", "formatted", "weak"]


@dataclass(frozen=True)
class Span:
    entity: Entity
    start: int
    end: int
    grade: Grade


# Presidio entity -> ours.
_ENTITY: dict[str, Entity] = {
    "EMAIL_ADDRESS": "EMAIL_ADDRESS",
    "PHONE_NUMBER": "PHONE_NUMBER",
    "CREDIT_CARD": "CREDIT_CARD",
    "IBAN_CODE": "IBAN_CODE",
    "US_SSN": "US_SSN",
    "US_BANK_NUMBER": "US_BANK_NUMBER",
    "ABA_ROUTING_NUMBER": "ABA_ROUTING_NUMBER",
    "IP_ADDRESS": "IP_ADDRESS",
    "URL": "URL",
    "US_ITIN": "TAX_ID",
    "US_EIN": "TAX_ID",
    "US_PASSPORT": "OTHER_ID",
    "US_DRIVER_LICENSE": "OTHER_ID",
    "STREET_ADDRESS": "STREET_ADDRESS",
}

_STREET_SUFFIX = (
    r"(?:St|Street|Ave|Avenue|Rd|Road|Blvd|Boulevard|Ln|Lane|Dr|Drive|Ct|Court|Way|Pl|Place|"
    r"Ter|Terrace|Cir|Circle|Pkwy|Parkway|Hwy|Highway|Sq|Square|Trl|Trail|Loop|Row|Alley|"
    r"Crescent|Close|Gardens|Grove|Mews)"
)
#: A house number, one to four capitalised words, a street suffix: `1600 Amphitheatre Pkwy`,
#: `42 O'Connell Street`, `9 rue`-style European lines are not covered.
STREET_LINE = (
    r"\b\d{1,6}[A-Za-z]?(?: [NSEW]\.?)?(?: (?:[A-Z][A-Za-z'.-]*|\d{1,3}(?:st|nd|rd|th))){1,4} "
    + _STREET_SUFFIX
    + r"\b\.?"
)
#: A house number, words, then `, City, ST 12345`: `59 S El Camino Real, Eugene, OR 97450`.
CITY_LINE = (
    r"\b\d{1,6}[A-Za-z]? (?:[^\W\d_][\w'.-]*|#\d+)(?: (?:[^\W\d_][\w'.-]*|#\w+)){0,6},"
    r"(?: [^\W\d_][\w'.-]*){1,3}, [A-Z]{2} \d{5}(?:-\d{4})?\b"
)
_EIN = r"\b\d{2}-\d{7}\b"


def _no_context_enhancer() -> type:
    from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer

    class NoContext(ContextAwareEnhancer):
        """Scores stay as the recognizers gave them: without an NLP model there are no context
        tokens, and the default enhancer deep-copies every result for nothing (40% of the time).
        Context words are this package's job (``detect._CONTEXT``)."""

        def enhance_using_context(
            self, text: str, raw_results: list[Any], *args: Any, **kwargs: Any
        ) -> list[Any]:
            return raw_results

    return NoContext


@functools.cache
def analyzer() -> AnalyzerEngine:
    """The process's Presidio analyzer for values (built on first use, about 0.2 s)."""
    from presidio_analyzer import AnalyzerEngine, Pattern, PatternRecognizer, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NoOpNlpEngine
    from presidio_analyzer.predefined_recognizers import (
        AbaRoutingRecognizer,
        CreditCardRecognizer,
        EmailRecognizer,
        IbanRecognizer,
        IpRecognizer,
        PhoneRecognizer,
        UrlRecognizer,
        UsBankRecognizer,
        UsItinRecognizer,
        UsLicenseRecognizer,
        UsPassportRecognizer,
        UsSsnRecognizer,
    )

    class OfflineEmailRecognizer(EmailRecognizer):
        # Any well-formed domain: intranet mail (`a@corp.internal`, `b@acme.local`) is personal
        # data too, though no public suffix list knows its domain.
        def validate_result(self, pattern_text: str) -> bool:
            return _DOMAIN.fullmatch(pattern_text.rsplit("@", 1)[-1]) is not None

    registry = RecognizerRegistry(supported_languages=["en"])
    for recognizer in (
        CreditCardRecognizer(),
        OfflineEmailRecognizer(),
        IbanRecognizer(),
        IpRecognizer(),
        PhoneRecognizer(supported_regions=("US",)),
        UrlRecognizer(),
        UsSsnRecognizer(),
        AbaRoutingRecognizer(),
        UsBankRecognizer(),
        UsItinRecognizer(),
        UsPassportRecognizer(),
        UsLicenseRecognizer(),
        PatternRecognizer("US_EIN", patterns=[Pattern("EIN", _EIN, 0.5)], name="EinRecognizer"),
        # Presidio's card pattern predates Mastercard's 2-series (2221-2720).
        PatternRecognizer(
            "CREDIT_CARD",
            patterns=[Pattern("2-series", r"\b2[2-7]\d{2}(?:[- ]?\d{4}){3}\b", 0.5)],
            name="CardTwoSeriesRecognizer",
        ),
        # Passport, licence, member numbers mixing letters and digits (`C01X00T47`): weak, used
        # only after a context word.
        PatternRecognizer(
            "US_PASSPORT",
            patterns=[
                Pattern("document", r"\b(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{6,14}\b", 0.1)
            ],
            name="DocumentNumberRecognizer",
            global_regex_flags=re.DOTALL,  # capitals only: `C01X00T47`, not `abc123`
        ),
        PatternRecognizer(
            "STREET_ADDRESS",
            patterns=[
                Pattern("street line", STREET_LINE, 0.6),
                Pattern("city line", CITY_LINE, 0.6),
            ],
            name="StreetLineRecognizer",
        ),
    ):
        registry.add_recognizer(recognizer)
    nlp = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "none"}])
    nlp.load()
    no_context = _no_context_enhancer()(0, 0, 0, 0)
    return AnalyzerEngine(
        nlp_engine=nlp,
        registry=registry,
        supported_languages=["en"],
        context_aware_enhancer=no_context,
    )


def find_spans(text: str, *, resolve: bool = True) -> list[Span]:
    """Graded entity spans in ``text``, longest first where they overlap (cached per text).

    >>> [(s.entity, s.grade) for s in find_spans("call (415) 555-0134 or mail ana@example.org")]
    [('PHONE_NUMBER', 'formatted'), ('EMAIL_ADDRESS', 'validated')]
    >>> find_spans("INV-2024-000123")
    []
    """
    spans = list(_all_spans(text))
    return resolve_overlaps(spans) if resolve else spans


@functools.lru_cache(maxsize=65_536)
def _all_spans(text: str) -> tuple[Span, ...]:
    normal = _normalised(text)
    if normal != text:
        # Full-width digits, zero-width joiners, no-break spaces: judge the plain form, and mask
        # the whole value when it holds anything (offsets differ between the two forms).
        found = _all_spans(normal)
        return (Span(found[0].entity, 0, len(text), found[0].grade),) if found else ()
    long = [m for m in _TOKEN.finditer(text) if m.end() - m.start() > _MAX_TOKEN]
    if long:
        # A token longer than any identifier is masked whole, and kept from the recognizers,
        # whose URL and email patterns take minutes on 100k characters of `a.a.a.`.
        inner = _all_spans(_blank(text, long))
        return inner + tuple(Span("OTHER_ID", m.start(), m.end(), "validated") for m in long)
    wanted = _entities_for(text)
    if not wanted:
        return ()
    spans: list[Span] = []
    for result in analyzer().analyze(text, language="en", entities=wanted):
        entity = _ENTITY.get(result.entity_type)
        if entity is None:
            continue
        start, end = result.start, result.end
        piece = text[start:end]
        if entity not in ("EMAIL_ADDRESS", "URL") and not _bounded(text, start, end):
            continue
        grade = _grade(entity, piece, text, start)
        if grade is not None:
            spans.append(Span(entity, start, end, grade))
    return tuple(spans)


_TOKEN = re.compile(r"\S+")
_MAX_TOKEN = 256
_DOMAIN = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")


def _normalised(text: str) -> str:
    plain = unicodedata.normalize("NFKC", text)
    return "".join(c for c in plain if unicodedata.category(c) != "Cf")


def _blank(text: str, tokens: list[re.Match[str]]) -> str:
    out = list(text)
    for m in tokens:
        out[m.start() : m.end()] = " " * (m.end() - m.start())
    return "".join(out)


def clear_caches() -> None:
    """Forget cached results (benchmarks measure cold caches)."""
    _all_spans.cache_clear()


_HINTS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"@"), ("EMAIL_ADDRESS",)),
    (re.compile(r"(?i)://|www\."), ("URL",)),  # schemeless domains are not graded as URLs
    (
        re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d|[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:"),
        ("IP_ADDRESS",),
    ),
    (re.compile(r"\b\d{1,6}[A-Za-z]?\s+[A-Za-z]"), ("STREET_ADDRESS",)),
    (re.compile(r"\b(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{6,14}\b|\d{9}"), ("US_PASSPORT",)),
    (re.compile(r"(?i)\b[a-z]{2}\d{2}"), ("IBAN_CODE",)),
)
_DIGIT_RUN = re.compile(r"\d[\d ().+-]*\d")


def _entities_for(text: str) -> list[str]:
    """The Presidio entities worth asking for, from what ``text`` is made of: a recognizer whose
    entity needs 7 digits is not run on a value with 4, the URL patterns not on text without
    ``://`` or ``www.`` (Presidio runs every recognizer otherwise; that is most of the cost)."""
    wanted = [e for hint, entities in _HINTS if hint.search(text) for e in entities]
    run = max((sum(c.isdigit() for c in m.group()) for m in _DIGIT_RUN.finditer(text)), default=0)
    if run >= 7:
        wanted += [
            "PHONE_NUMBER",
            "US_BANK_NUMBER",
            "US_SSN",
            "ABA_ROUTING_NUMBER",
            "US_ITIN",
            "US_EIN",
            "US_DRIVER_LICENSE",
        ]
    if run >= 12:
        wanted.append("CREDIT_CARD")
    return wanted


_RANK: dict[Grade, int] = {"validated": 0, "formatted": 1, "weak": 2}


def resolve_overlaps(spans: list[Span]) -> list[Span]:
    """Keep the best span where spans overlap: better grade, then longer."""
    kept: list[Span] = []
    for span in sorted(spans, key=lambda s: (_RANK[s.grade], s.start - s.end, s.start)):
        if all(span.end <= k.start or span.start >= k.end for k in kept):
            kept.append(span)
    return sorted(kept, key=lambda s: s.start)


def _bounded(text: str, start: int, end: int) -> bool:
    """False when the span continues a larger token (``INV-2024-000123``, ``A1234567B``)."""

    def joined(i: int, step: int) -> bool:
        if not 0 <= i < len(text):
            return False
        c = text[i]
        if c.isalnum():
            return True
        nxt = i + step
        return c in "-_/#." and 0 <= nxt < len(text) and text[nxt].isalnum()

    return not joined(start - 1, -1) and not joined(end, 1)


_DIGITS = re.compile(r"\D")
_EXTENSION = re.compile(r"(?i)\s*(?:ext\.?|x)\s*\d{1,5}$")
_SSN = re.compile(r"^\d{3}([- ])\d{2}\1\d{4}$")
_TAX = re.compile(r"^(?:\d{2}-\d{7}|9\d{2}([- ])[5-9]\d\1\d{4})$")
_FORMATTED_PHONE = re.compile(
    r"^(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?|\d{2,4}[ .-])"
    r"\d{2,4}[ .-]?\d{2,4}(?:[ .-]?\d{1,4})?$"
)


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum of a digit string.

    >>> luhn_ok("4111111111111111"), luhn_ok("4111111111111112")
    (True, False)
    """
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


_CARD_PREFIX = re.compile(r"^(?:4|5[1-5]|2[2-7]|3[47]|3[068]|6011|65|64[4-9]|35)")


def _grade(entity: Entity, piece: str, text: str, start: int) -> Grade | None:
    digits = _DIGITS.sub("", piece)
    separated = len(digits) < len(piece)
    if entity == "EMAIL_ADDRESS" or entity == "IBAN_CODE":
        return "validated"
    if entity == "CREDIT_CARD":
        ok = 13 <= len(digits) <= 19 and luhn_ok(digits) and _CARD_PREFIX.match(digits)
        return ("validated" if separated else "formatted") if ok else None
    if entity == "IP_ADDRESS":
        try:
            ipaddress.ip_address(piece)
        except ValueError:
            return None
        # A dotted quad is as often a version number (`10.2.0.1`) as an address.
        return "validated" if ":" in piece else "formatted" if piece.count(".") == 3 else None
    if entity == "URL":
        if (start and text[start - 1] == "@") or "@" in piece:
            return None  # the domain of an email address
        return "validated" if re.match(r"(?i)(?:https?://|www\.)", piece) else None
    if entity == "PHONE_NUMBER":
        piece = _EXTENSION.sub("", piece)
        digits = _DIGITS.sub("", piece)
        if not 7 <= len(digits) <= 15:
            return None
        if piece.startswith("+") or (len(digits) < len(piece) and _FORMATTED_PHONE.match(piece)):
            return "formatted"
        return "weak"
    if entity == "US_SSN":
        return "formatted" if _SSN.match(piece) else "weak" if not separated else None
    if entity == "TAX_ID":
        return "formatted" if _TAX.match(piece) else "weak" if not separated else None
    if entity == "STREET_ADDRESS":
        return "formatted"
    return "weak"  # US_BANK_NUMBER, ABA_ROUTING_NUMBER, OTHER_ID: digits alone say little
