"""Personal data in free text (prompt messages): find it, mask it in place."""

from __future__ import annotations

from policy.manifest import Entity, PiiDetection
from policy.pii.detect import CellFinding, text_spans
from policy.pii.mask import Masker

__all__ = ["mask_text", "text_findings"]


def text_findings(text: str, *, detection: PiiDetection) -> list[tuple[Entity, int]]:
    """``(entity, offset)`` of each piece of personal data in ``text`` (no values)."""
    return [(s.entity, s.start) for s in text_spans(text, detection=detection)]


def mask_text(text: str, masker: Masker, *, detection: PiiDetection) -> str:
    """``text`` with every span found masked by the manifest's operator for its entity.

    >>> from policy.manifest import DEFAULT_OPERATORS
    >>> m = Masker(DEFAULT_OPERATORS, b"k" * 32)
    >>> mask_text("SSN 536-22-1943, thanks", m, detection=PiiDetection(ner=False))
    'SSN <US_SSN>, thanks'
    """
    spans = text_spans(text, detection=detection)
    if not spans:
        return text
    return masker.spans(text, CellFinding(0, "", spans[0].entity, tuple(spans)))
