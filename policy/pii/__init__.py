"""PII in tables and text: column evidence, graded recognizers, NER, masking operators."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.lazy import lazy_exports

_EXPORTS = {
    "CellFinding": "detect",
    "ColumnPlan": "detect",
    "TableFindings": "detect",
    "detect_table": "detect",
    "text_spans": "detect",
    "Masker": "mask",
    "mask_table": "mask",
    "partial": "mask",
    "pseudonym": "mask",
    "redact": "mask",
    "mask_text": "text",
    "text_findings": "text",
    "header_evidence": "headers",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from policy.pii.detect import CellFinding, ColumnPlan, TableFindings, detect_table, text_spans
    from policy.pii.headers import header_evidence
    from policy.pii.mask import Masker, mask_table, partial, pseudonym, redact
    from policy.pii.text import mask_text, text_findings
