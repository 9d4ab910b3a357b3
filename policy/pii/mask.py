"""Masking operators and table masking.

Three operators, chosen per entity by the Policy Manifest (``pii.operators``):

- ``redact``: the value becomes ``<ENTITY>``;
- ``partial``: letters and digits become ``*`` except the last few (4, fewer for short values);
  separators stay, so ``4111 1111 1111 1111`` becomes ``**** **** **** 1111``;
- ``pseudonym``: ``ENTITY_`` and 12 base-32 characters of HMAC-SHA-256 under the tenant's key,
  over the value normalised for its entity (case-folded names and emails, digits of numbers):
  equal values give equal tokens in every table, so joins still work on masked samples, and
  nobody without the key can tell which value a token stands for.

Whole cells (columns judged whole, names) are masked here, once per distinct value. Spans inside
free text are replaced by Presidio's anonymizer with these operators.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from policy.manifest import Entity, Operator
from policy.pii.detect import CellFinding, TableFindings

if TYPE_CHECKING:
    from presidio_anonymizer import AnonymizerEngine

__all__ = ["Masker", "mask_table", "partial", "pseudonym", "redact"]


def redact(entity: Entity, value: str) -> str:
    """``<ENTITY>``.

    >>> redact("US_SSN", "536-22-1943")
    '<US_SSN>'
    """
    return f"<{entity}>"


def partial(entity: Entity, value: str) -> str:
    """Keep the last 4 letters or digits (1 per 4 for short values), star the rest.

    >>> partial("CREDIT_CARD", "4111 1111 1111 1111")
    '**** **** **** 1111'
    >>> partial("PHONE_NUMBER", "(415) 555-0134")
    '(***) ***-**34'
    >>> partial("US_BANK_NUMBER", "1234567")
    '******7'
    """
    alnum = sum(c.isalnum() for c in value)
    keep = min(4, alnum // 4)
    out = []
    seen = 0
    for c in value:
        if c.isalnum():
            seen += 1
            out.append(c if seen > alnum - keep else "*")
        else:
            out.append(c)
    return "".join(out)


_NUMERIC: frozenset[Entity] = frozenset(
    {
        "PHONE_NUMBER",
        "CREDIT_CARD",
        "IBAN_CODE",
        "US_SSN",
        "US_BANK_NUMBER",
        "ABA_ROUTING_NUMBER",
        "TAX_ID",
        "OTHER_ID",
    }
)
_SEPARATORS = re.compile(r"[^0-9A-Za-z]")
_SPACES = re.compile(r"\s+")


def _normal(entity: Entity, value: str) -> str:
    """The form pseudonyms are computed on: digits and letters of numbers; case- and accent-free
    text (``IŞIK`` and ``Işık`` are one name: ``casefold`` alone keeps the dotless ``ı``)."""
    value = unicodedata.normalize("NFKC", value).strip()
    if entity in _NUMERIC:
        return _SEPARATORS.sub("", value).upper()
    folded = unicodedata.normalize("NFKD", value.casefold().replace("ı", "i"))
    bare = "".join(c for c in folded if not unicodedata.combining(c))
    return _SPACES.sub(" ", bare).casefold()


def pseudonym(key: bytes, entity: Entity, value: str) -> str:
    """A keyed token: equal (normalised) values give equal tokens.

    >>> k = b"k" * 32
    >>> pseudonym(k, "PERSON", "Maria  Gonzalez") == pseudonym(k, "PERSON", "MARIA GONZALEZ")
    True
    >>> phone = functools.partial(pseudonym, k, "PHONE_NUMBER")
    >>> phone("(415) 555-0134") == phone("415.555.0134")
    True
    >>> pseudonym(k, "PERSON", "Ana")[:7]
    'PERSON_'
    """
    mac = hmac.new(key, f"{entity}\x1f{_normal(entity, value)}".encode(), hashlib.sha256).digest()
    return f"{entity}_{base64.b32encode(mac[:10]).decode()[:12]}"


@dataclass(frozen=True)
class Masker:
    """Applies the manifest's operators with one tenant's pseudonym key."""

    operators: Mapping[Entity, Operator]
    key: bytes

    def value(self, entity: Entity, value: str) -> str:
        op = self.operators[entity]
        if op == "pseudonym":
            return pseudonym(self.key, entity, value)
        if op == "partial":
            return partial(entity, value)
        return redact(entity, value)

    def cell(self, value: str, finding: CellFinding) -> str:
        """``value`` with the finding's spans masked (the trimmed value when it is one span)."""
        text = value.strip()
        spans = finding.spans
        if len(spans) == 1 and spans[0].start == 0 and spans[0].end >= len(text):
            return self.value(finding.entity, text)
        return self.spans(text, finding)

    def spans(self, text: str, finding: CellFinding) -> str:
        """``text`` with each span of ``finding`` masked (Presidio's anonymizer replaces them)."""
        from presidio_anonymizer.entities import OperatorConfig, RecognizerResult

        results = [RecognizerResult(s.entity, s.start, s.end, 1.0) for s in finding.spans]
        operators: dict[str, OperatorConfig] = {
            s.entity: OperatorConfig("custom", {"lambda": functools.partial(self.value, s.entity)})
            for s in finding.spans
        }
        return str(_anonymizer().anonymize(text, results, operators).text)


@functools.cache
def _anonymizer() -> AnonymizerEngine:
    from presidio_anonymizer import AnonymizerEngine

    return AnonymizerEngine()  # type: ignore[no-untyped-call]


def mask_table(
    columns: Mapping[str, Sequence[str | None]], findings: TableFindings, masker: Masker
) -> dict[str, list[str | None]]:
    """A copy of the table with every finding masked; other cells unchanged."""
    out: dict[str, list[str | None]] = {}
    for name, values in columns.items():
        cells = findings.cells.get(name, {})
        if not cells:
            out[name] = list(values)
            continue
        masked = list(values)
        memo: dict[str, str] = {}  # findings are per distinct value within a column
        for row, finding in cells.items():
            value = values[row]
            assert value is not None
            if value not in memo:
                memo[value] = masker.cell(value, finding)
            masked[row] = memo[value]
        out[name] = masked
    return out
