"""Services: the Transform DSL (§11, §35): whitelisted op models, validation, and compilers to
SQL (sqlglot, several dialects) and Polars that give the same values. See docs/dsl.md."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.lazy import lazy_exports

_EXPORTS = {
    "DSL_VERSION": "version",
    "supports": "version",
    "ALL_OPS": "ops",
    "Limits": "ops",
    "Pipeline": "pipeline",
    "validate_pipeline": "pipeline",
    "output_type": "pipeline",
    "DslError": "errors",
    "DslErrors": "errors",
    "DslIssue": "errors",
    "NotExpressible": "errors",
    "previews": "compile",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from dsl.compile import previews
    from dsl.errors import DslError, DslErrors, DslIssue, NotExpressible
    from dsl.ops import ALL_OPS, Limits
    from dsl.pipeline import Pipeline, output_type, validate_pipeline
    from dsl.version import DSL_VERSION, supports
