"""Work: Analysis (§13), mode-aware quality checks on a Mapping Plan, as pure functions.

``analysis_report(plan, target, profile, source=..., output=..., today=...)`` returns the
Analysis Report v1 body: the checks of ``ANALYSIS_CHECKS`` the plan's mode runs, an anomaly with
a recommended fix for each check that did not pass, threshold suggestions, and the metrics the
Analysis gate reads (``fails``, ``warns``). See docs/analysis.md. The LangGraph node and the gate
live with the supervisor; this package takes plain data and imports no other specialist.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.lazy import lazy_exports

_EXPORTS = {
    "ANALYSIS_CHECKS": "model",
    "Anomaly": "model",
    "Check": "model",
    "Fix": "model",
    "ThresholdSuggestion": "model",
    "analysis_report": "report",
    "ks_statistic": "stats",
    "psi": "stats",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:  # "as" re-exports, so type checkers see the lazy names as exported
    from specialists.analysis.model import ANALYSIS_CHECKS as ANALYSIS_CHECKS
    from specialists.analysis.model import Anomaly as Anomaly
    from specialists.analysis.model import Check as Check
    from specialists.analysis.model import Fix as Fix
    from specialists.analysis.model import ThresholdSuggestion as ThresholdSuggestion
    from specialists.analysis.report import analysis_report as analysis_report
    from specialists.analysis.stats import ks_statistic as ks_statistic
    from specialists.analysis.stats import psi as psi
