"""Which cells of a table are personal data: a plan per column, then findings per cell.

Cell by cell, recognizers misread tables: amounts, posting dates and part numbers look like phone
numbers or IDs, and a bare surname matches nothing. So a column is judged as a whole first, from
three kinds of evidence, strongest first:

1. its domain (when domaining ran) or its header (:mod:`policy.pii.headers`): a column called
   ``first_name`` or ``ssn`` is masked whole, cell by cell where a value looks like the entity;
2. its values: a sample of distinct values (``detection.sample_values``) goes through the graded
   recognizers (:mod:`policy.pii.values`); when one entity fits at least ``detection.column_rate``
   of them, the column is that entity. A header that names another kind of identifier
   (``invoice_no``) lets only checksum-validated entities claim its column;
3. names: a column whose values are shaped like names, or whose header hints at a person
   (``payee``, ``contact``), is read by the NER model; cells it or the name shape call a person
   are masked, organisations are not.

Every other column is scanned cell by cell (``spans``): validated and formatted entities are
masked where they occur; bare digit strings only after a context word (``acct 12345678``); in free
text, person names found by NER and dates after ``DOB``/``born``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from core.shapes import shape
from policy.manifest import Entity, PiiDetection
from policy.pii import names, ner
from policy.pii.headers import HeaderEvidence, domain_entity, header_evidence, header_words
from policy.pii.values import Span, find_spans, resolve_overlaps

__all__ = [
    "CellFinding",
    "ColumnPlan",
    "TableFindings",
    "compatible",
    "detect_table",
    "is_masked_value",
    "text_spans",
]

ColumnMode = Literal["whole", "names", "spans", "none"]
#: The modes in which every value of a column is masked (not only spans found in it): a
#: Sample Pack value of such a column says nothing of the real one.
WHOLE_COLUMN_MODES: tuple[ColumnMode, ...] = ("whole", "names")


@dataclass(frozen=True)
class ColumnPlan:
    """How one column is treated, and why (shown by ``policy_check``; never carries values)."""

    column: str
    mode: ColumnMode
    entity: Entity | None
    evidence: str
    #: whole mode: other entities the header names; a value fitting one of them is masked too.
    also: tuple[Entity, ...] = ()
    #: names mode: a name-shaped value needs this many words (2 where the header only hints).
    min_words: int = 1
    #: spans mode: the header names another kind of identifier; only validated spans count.
    negative: bool = False


@dataclass(frozen=True)
class CellFinding:
    """Personal data in one cell: the spans to mask (the whole trimmed cell in whole/names)."""

    row: int
    column: str
    entity: Entity
    spans: tuple[Span, ...]


@dataclass
class TableFindings:
    plans: dict[str, ColumnPlan] = field(default_factory=dict)
    cells: dict[str, dict[int, CellFinding]] = field(default_factory=dict)

    def count(self) -> int:
        return sum(len(c) for c in self.cells.values())


_NULLS = frozenset({"", "null", "none", "n/a", "na", "nan", "-", "--", "?", "unknown", "nil"})
# Mask characters stand in for digits: `****4242`, `XXX-XX-1234`; `Maxx` and `alexxx@` are names.
# What maskers write: `<US_SSN>`, `PERSON_8KQ2M7QJ3V1A`, runs of `*`/`•`, and `X` runs standing
# for digits (`XXX-XX-1234`; not the `xx` of `Maxx`).
_MASK_TOKEN = re.compile(
    r"<[A-Z_]+>|\b[A-Z_]+_[0-9A-Z]{12}\b|[*•]+|(?<![^\W\d_])[xX]{2,}(?![^\W\d_])"
)


def is_masked_value(value: str) -> bool:
    """True when nothing personal is left: mask tokens, separators and at most four letters or
    digits (``**** **** **** 4242``, ``XXX-XX-1234``, ``<US_SSN>``). A value that merely holds a
    mask token (``**URGENT** call Maria 415-555-0134``) is not masked.

    >>> is_masked_value("**** **** **** 4242"), is_masked_value("4242")
    (True, False)
    >>> is_masked_value("**URGENT** call Maria Gonzalez 415-555-0134")
    False
    """
    rest, count = _MASK_TOKEN.subn("", value)
    return count > 0 and sum(c.isalnum() for c in rest) <= 4


def detect_table(
    columns: Mapping[str, Sequence[str | None]],
    *,
    detection: PiiDetection,
    domains: Mapping[str, str] | None = None,
) -> TableFindings:
    """Find the personal data in a table given as ``{column: values}`` (strings or None)."""
    findings = TableFindings()
    for name, values in columns.items():
        present = _present(values)
        plan = _plan(name, present, (domains or {}).get(name), detection)
        findings.plans[name] = plan
        findings.cells[name] = _cells(plan, present, detection)
    _key_value_cells(columns, findings)
    _known_names(columns, findings)
    return findings


def _known_names(columns: Mapping[str, Sequence[str | None]], findings: TableFindings) -> None:
    """A one-word cell of a person column is a name when the table names that person elsewhere
    (`Siobhan` under `contact`, `Siobhan` under `first_name`)."""
    known = {
        word.casefold()
        for name, cells in findings.cells.items()
        for f in cells.values()
        if f.entity == "PERSON" and findings.plans[name].mode in WHOLE_COLUMN_MODES
        for word in (columns[name][f.row] or "").replace(",", " ").split()
        if len(word) > 1
    }
    for name, plan in findings.plans.items():
        if plan.mode != "names":
            continue
        cells = findings.cells[name]
        for row, value in enumerate(columns[name]):
            v = (value or "").strip()
            if row not in cells and v.casefold() in known and names.name_shaped(v):
                cells[row] = _whole(row, name, "PERSON", v)


def _key_value_cells(columns: Mapping[str, Sequence[str | None]], findings: TableFindings) -> None:
    """Key-value exports (``field,value`` rows: ``birth_date,1979-08-02``): a key column (its
    header says so, its values are mostly header names) heads the cell to its right, row by row."""
    order = list(columns)
    for key, name in zip(order, order[1:], strict=False):
        if findings.plans[name].mode == "whole" or not _KEY_HEADER.search(header_words(key)):
            continue
        if not _is_key_column(columns[key]):
            continue
        cells = findings.cells[name]
        for row, value in enumerate(columns[name]):
            label = columns[key][row]
            if row in cells or not value or not label or is_masked_value(value.strip()):
                continue
            evidence = header_evidence(label)
            entity = evidence.entity if evidence.strength == "strong" else None
            if evidence.strength == "weak" and names.name_shaped(value.strip(), min_words=2):
                entity = "PERSON"  # `name,KWAME BOATENG`
            if entity is not None and compatible(entity, value.strip()):
                cells[row] = _whole(row, name, entity, value.strip())


# The header of a key column in a key-value export (the value column comes right after it).
_KEY_HEADER = re.compile(
    r"(?:^| )(?:field|key|attribute|attr|property|prop|name|label|parameter|param|variable)"
    r"(?: name)?$"
)


def _is_key_column(values: Sequence[str | None]) -> bool:
    present = [v for v in values if v]
    distinct = set(present)
    if len(present) < 4 or len(distinct) > 60 or len(distinct) * 2 > len(present) + 2:
        return False
    named = sum(header_evidence(v).strength in ("strong", "negative") for v in distinct)
    strong = sum(header_evidence(v).strength == "strong" for v in distinct)
    return strong >= 2 and named >= 0.5 * len(distinct)


def _present(values: Sequence[str | None]) -> list[tuple[int, str]]:
    """(row, trimmed value) of the cells holding something: not empty, null-like or masked."""
    keep: dict[str, str | None] = {}  # raw value -> trimmed, or None to drop (once per value)
    out = []
    for i, v in enumerate(values):
        if v is None:
            continue
        if v not in keep:
            s = v.strip()
            keep[v] = None if s.lower() in _NULLS or is_masked_value(s) else s
        trimmed = keep[v]
        if trimmed is not None:
            out.append((i, trimmed))
    return out


def _sample(present: list[tuple[int, str]], size: int) -> list[str]:
    distinct = list(dict.fromkeys(v for _, v in present))
    if len(distinct) <= size:
        return distinct
    step = len(distinct) / size
    return [distinct[int(i * step)] for i in range(size)]


def _free_text(sample: list[str]) -> bool:
    return sum(len(v.split()) >= 4 for v in sample) >= 0.3 * len(sample)


def _plan(
    name: str, present: list[tuple[int, str]], domain: str | None, detection: PiiDetection
) -> ColumnPlan:
    if not present:
        return ColumnPlan(name, "none", None, "no values")
    claimed = domain_entity(domain)
    if claimed is not None:
        return ColumnPlan(name, "whole", claimed, f"domain {domain}")
    header = header_evidence(name)
    if header.strength == "strong" and header.entity is not None:
        return ColumnPlan(name, "whole", header.entity, f"header {name!r}", also=header.also)
    if header.strength == "weak":
        return ColumnPlan(
            name, "names", "PERSON", f"header {name!r} hints at a person", min_words=2
        )
    negative = header.strength == "negative"
    sample = _sample(present, detection.sample_values)
    if _free_text(sample):  # `ticket notes`, `order comments`: text says what it likes
        return ColumnPlan(name, "spans", None, "free text: scanned cell by cell")
    by_values = _claim_by_values(name, sample, header, detection.column_rate)
    if by_values is not None:
        return by_values
    if detection.ner and not negative:
        by_names = _claim_by_names(name, sample, detection.column_rate)
        if by_names is not None:
            return by_names
    why = "header names another kind of value" if negative else "no column evidence"
    return ColumnPlan(name, "spans", None, f"{why}: scanned cell by cell", negative=negative)


def _whole_cell(span: Span, value: str) -> bool:
    return span.start <= 1 and span.end >= len(value) - 1


def _claim_by_values(
    name: str, sample: list[str], header: HeaderEvidence, rate: float
) -> ColumnPlan | None:
    allowed = {"validated"} if header.strength == "negative" else {"validated", "formatted"}
    hits: Counter[Entity] = Counter()
    for value in sample:
        for span in find_spans(value):
            if _whole_cell(span, value) and span.grade in allowed:
                hits[span.entity] += 1
                break
    if not hits:
        return None
    entity, count = hits.most_common(1)[0]
    share = count / len(sample)
    if share < rate:
        return None
    return ColumnPlan(name, "whole", entity, f"{share:.0%} of {len(sample)} values are {entity}")


def _claim_by_names(name: str, sample: list[str], rate: float) -> ColumnPlan | None:
    shaped = sum(names.name_shaped(v) for v in sample) / len(sample)
    if shaped < rate:
        return None
    ents = ner.entities(sample)
    share = sum(_ner_person(v, e) for v, e in zip(sample, ents, strict=True)) / len(sample)
    if share < 0.5:
        return None
    why = f"names: {shaped:.0%} of {len(sample)} values name-shaped, NER persons in {share:.0%}"
    return ColumnPlan(name, "names", "PERSON", why)


def _ner_person(value: str, ents: tuple[ner.Ent, ...]) -> bool:
    covered = sum(e - s for s, e, label in ents if label == "PERSON")
    if covered < 0.6 * len(value) or any(c.isdigit() for c in value):
        return False
    return not names.has_org_word(value)


def _cells(
    plan: ColumnPlan, present: list[tuple[int, str]], detection: PiiDetection
) -> dict[int, CellFinding]:
    if plan.mode == "none":
        return {}
    if plan.mode == "whole":
        assert plan.entity is not None
        out, others = {}, []
        fitting: dict[str, list[Entity]] = {}
        for i, v in present:
            if v not in fitting:  # present values are unmasked already
                fitting[v] = _fitting(v, (plan.entity, *plan.also))
            fits = fitting[v]
            if fits:
                out[i] = _whole(i, plan.column, fits[0], v)
            else:
                others.append((i, v))  # `4111 1111 1111 1111 exp 12/27`: scanned, not trusted
        plain = ColumnPlan(plan.column, "spans", None, plan.evidence)
        out.update(_spans(plain, others, detection))
        return out
    if plan.mode == "names":
        return _names(plan, present, detection)
    return _spans(plan, present, detection)


def _whole(row: int, column: str, entity: Entity, value: str) -> CellFinding:
    return CellFinding(row, column, entity, (Span(entity, 0, len(value), "validated"),))


def _names(
    plan: ColumnPlan, present: list[tuple[int, str]], detection: PiiDetection
) -> dict[int, CellFinding]:
    """A name-shaped value is a name here (NER misreads bare names); NER adds the rest."""
    distinct = list(dict.fromkeys(v for _, v in present))
    person = {v: names.name_shaped(v, min_words=plan.min_words) for v in distinct}
    rest = [v for v in distinct if not person[v] and not names.possessive(v)]
    for v, ents in zip(rest, ner.entities(rest), strict=True):
        person[v] = _ner_person(v, ents)
    out = {i: _whole(i, plan.column, "PERSON", v) for i, v in present if person[v]}
    # Whatever else a person column holds (`ap@contoso.com`, `+44 20 7946 0773`) is scanned.
    others = [(i, v) for i, v in present if not person[v]]
    plain = ColumnPlan(plan.column, "spans", None, plan.evidence)
    out.update(_spans(plain, others, detection))
    return out


# A bare digit string is an entity only after one of these words (within 40 characters).
_CONTEXT: dict[Entity, re.Pattern[str]] = {
    "US_BANK_NUMBER": re.compile(r"(?i)\b(?:acct|account|a/c|acc)\b"),
    "ABA_ROUTING_NUMBER": re.compile(r"(?i)\b(?:routing|aba|rtn|transit)\b"),
    "US_SSN": re.compile(r"(?i)\b(?:ssn|social security)\b"),
    "PHONE_NUMBER": re.compile(
        r"(?i)\b(?:phone|tel|call(?:ed|ing)?|mobile|cell|fax|ph|text(?:ed)?|reach|dial(?:ed)?)\b"
    ),
    "OTHER_ID": re.compile(r"(?i)\b(?:passport|license|licence|dl|national id|mrn|member)\b"),
    "TAX_ID": re.compile(r"(?i)\b(?:ein|tin|itin|tax id|taxpayer)\b"),
}
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_DATE = re.compile(
    r"\b(?:\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4}|\d{1,2}-\d{1,2}-\d{4}|"
    rf"{_MONTH} \d{{1,2}},? \d{{4}}|\d{{1,2}} {_MONTH} \d{{4}})\b"
)
_DOB_CUE = re.compile(r"(?i)\b(?:dob|d\.o\.b|date of birth|birth ?date|birthday|birth|born)\b")


def _spans(
    plan: ColumnPlan, present: list[tuple[int, str]], detection: PiiDetection
) -> dict[int, CellFinding]:
    column = plan.column
    distinct = list(dict.fromkeys(v for _, v in present))
    # Luhn passes 1 number in 10: in a column of digit strings that is not a card column, a
    # passing 16-digit id is an accident.
    digit_column = sum(v.isdigit() for v in distinct) >= 0.6 * len(distinct)
    found: dict[str, list[Span]] = {}
    clean: Counter[str] = Counter()  # shape -> values of that shape scanned with no finding
    for v in distinct:
        shape = _shape(v)
        if shape and clean[shape] >= _CLEAN_SHAPE and _vouchable(shape):
            found[v] = []  # ids, amounts, dates: 20 clean values of one shape vouch for the rest
            continue
        found[v] = _value_spans(v, negative=plan.negative, digit_column=digit_column)
        clean[shape] += not found[v]
    if detection.ner and not plan.negative:
        for v, spans in zip(distinct, _person_spans_many(distinct), strict=True):
            found[v] += [
                p for p in spans if all(p.end <= t.start or p.start >= t.end for t in found[v])
            ]
    out = {}
    for i, v in present:
        spans_v = found[v]
        if spans_v:
            spans_t = tuple(sorted(spans_v, key=lambda s: s.start))
            out[i] = CellFinding(i, column, spans_t[0].entity, spans_t)
    return out


_CLEAN_SHAPE = 20


def _shape(value: str) -> str:
    """A short value's shape (``core.shapes``); free text has none: every value is scanned.

    >>> _shape("INV-2024-000123"), _shape("-1,234.56"), _shape("Payment to Ana")
    ('A-9{4}-9{6}', '-9{1},9{3}.9{2}', '')
    """
    return "" if " " in value.strip() else shape(value)


_DATE_SHAPE = re.compile(r"^9\{4\}[-/.]9\{1,2\}[-/.]9\{1,2\}(?:[ T]9\{2\}(?::9\{2\}){1,2})?$")


def _vouchable(shape: str) -> bool:
    """Shapes whose clean values vouch for the rest: bare digits (at most weak: needs a context
    word a bare cell cannot have), short numbers (amounts), dates and times. A separated card,
    SSN or phone shape is always scanned."""
    digits = sum(int(n) for n in re.findall(r"9\{(\d+)\}", shape))
    return (
        re.fullmatch(r"9\{\d+\}", shape) is not None
        or digits <= 6
        or _DATE_SHAPE.match(shape) is not None
    )


def text_spans(text: str, *, detection: PiiDetection) -> list[Span]:
    """Entity spans in free text (a message, a memo): what ``spans`` columns find in a cell."""
    spans = _value_spans(text, negative=False, digit_column=False)
    if detection.ner:
        people = _person_spans_many([text])[0]
        spans += [p for p in people if all(p.end <= t.start or p.start >= t.end for t in spans)]
    return sorted(spans, key=lambda s: s.start)


def _value_spans(value: str, *, negative: bool, digit_column: bool) -> list[Span]:
    kept = []
    for span in find_spans(value, resolve=False):
        # Under a header naming another kind of value (`invoice_no`, `firmware_version`) bare
        # digits and dotted quads are that kind of value; formatted SSNs, phones, emails are not.
        if negative and span.grade != "validated":
            if span.grade == "weak" or span.entity == "IP_ADDRESS":
                continue
        if span.grade == "weak" and not _has_context(value, span):
            continue
        if span.entity == "CREDIT_CARD" and span.grade == "formatted" and digit_column:
            continue
        if span.entity == "IP_ADDRESS" and _VERSION.search(_around(value, span)):
            continue
        kept.append(span)
    kept = resolve_overlaps(kept)
    if not negative:
        kept += _birth_dates(value, kept)
    return kept


_VERSION = re.compile(r"(?i)\b(?:version|ver|v|release|update|build|firmware|patch|upgrade)\b")


def _around(value: str, span: Span) -> str:
    return value[max(0, span.start - 24) : span.start] + " " + value[span.end : span.end + 16]


def _has_context(value: str, span: Span) -> bool:
    context = _CONTEXT.get(span.entity)
    return context is not None and bool(context.search(value[max(0, span.start - 40) : span.start]))


def _birth_dates(value: str, taken: list[Span]) -> list[Span]:
    out = []
    for m in _DATE.finditer(value):
        if _DOB_CUE.search(value[max(0, m.start() - 48) : m.start()]):
            if all(m.end() <= t.start or m.start() >= t.end for t in taken):
                out.append(Span("DATE_OF_BIRTH", m.start(), m.end(), "formatted"))
    return out


# NER labels that overrule a cue word (GPE and NORP do not: the model reads many names as places).
_NOT_PERSON = frozenset({"ORG", "FAC", "PRODUCT", "WORK_OF_ART", "EVENT", "LAW"})


def _person_spans_many(texts: list[str]) -> list[list[Span]]:
    """Person spans in free-text values: capitalised runs NER reads as persons (mixed-case text)
    and names after cue words (any case, unless NER calls them an organisation).

    NER reads the short candidate strings, not whole texts: they repeat across rows (one model
    call per distinct name) and the small model is no better on the sentence around them.
    """
    runs = {t: [] if t.isupper() else names.capitalised_runs(t) for t in texts}
    cued = {t: names.cue_spans(t) for t in texts}
    pieces = list(dict.fromkeys(t[s:e] for t in texts for s, e in runs[t] + cued[t]))
    ents = dict(zip(pieces, ner.entities(pieces), strict=True))
    out = []
    for t in texts:
        spans = [
            (s, e) for s, e in runs[t] if _ner_person(t[s:e], ents[t[s:e]]) and _real_name(t, s, e)
        ]
        for s, e in cued[t]:
            # A cue is stronger evidence than the model, which reads bare names as organisations.
            if all(e <= a or s >= b for a, b in spans):
                spans.append((s, e))
        out.append([Span("PERSON", s, e, "formatted") for s, e in sorted(spans)])
    return out


def _real_name(text: str, start: int, end: int) -> bool:
    piece = text[start:end]
    after = text[end:].split(maxsplit=1)
    return (
        " " in piece.strip()
        and not names.has_org_word(piece)
        and not names.possessive(piece)
        and not (after and names.has_org_word(after[0]))
    )


# A house number or box: `12 Main St`, `Apt 4B, 9 Elm Rd`, `PO Box 77`; not `Boston, MA 02110`.
_HOUSE = re.compile(r"(?i)^\s*\d{1,6}[a-z]?\b(?!\s*$)|\bbox\s+\d|\d{1,6}[a-z]?\s+[a-z]")


def compatible(entity: Entity, value: str) -> bool:
    """Whether a value in a column claimed for ``entity`` can be one: ``****4242`` in a card column
    is already masked, ``Apt`` alone in an address column is not an address.

    >>> compatible("CREDIT_CARD", "4111 1111 1111 1111"), compatible("CREDIT_CARD", "****4242")
    (True, False)
    """
    return not is_masked_value(value) and bool(_fitting(value, (entity,)))


def _fitting(value: str, entities: tuple[Entity, ...]) -> list[Entity]:
    """The entities of ``entities`` an unmasked ``value`` can be."""
    digits = sum(map(str.isdigit, value))
    letters = sum(map(str.isalpha, value))
    return [e for e in entities if _FITS[e](value, digits, letters)]


_FITS: dict[Entity, Callable[[str, int, int], bool]] = {
    "PERSON": lambda v, d, a: a >= 2 and not names.has_org_word(v) and not names.possessive(v),
    "EMAIL_ADDRESS": lambda v, d, a: a >= 1,
    "PHONE_NUMBER": lambda v, d, a: d >= 7,
    "CREDIT_CARD": lambda v, d, a: 12 <= d <= 19,
    "IBAN_CODE": lambda v, d, a: d >= 10 and a >= 2,
    "US_SSN": lambda v, d, a: d == 9,
    "US_BANK_NUMBER": lambda v, d, a: 6 <= d <= 20 and d >= 3 * a,
    "ABA_ROUTING_NUMBER": lambda v, d, a: d == 9,
    "IP_ADDRESS": lambda v, d, a: ("." in v or ":" in v) and d >= 2,
    "URL": lambda v, d, a: "." in v or "/" in v,
    "DATE_OF_BIRTH": lambda v, d, a: d >= 4 or a >= 3,
    "STREET_ADDRESS": lambda v, d, a: a >= 2 and _HOUSE.search(v) is not None,
    "TAX_ID": lambda v, d, a: d >= 7,
    "OTHER_ID": lambda v, d, a: d + a >= 5,
}
