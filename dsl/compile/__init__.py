"""Compilers of the DSL: SQL (``sqlglot`` trees per dialect) and Polars expressions."""

from __future__ import annotations

from dsl.compile.dialects import DIALECTS, DialectName
from dsl.errors import NotExpressible
from dsl.pipeline import Pipeline

__all__ = ["previews", "PREVIEW_DIALECTS"]

PREVIEW_DIALECTS: tuple[DialectName, ...] = ("postgres", "duckdb", "mysql", "sqlite")


def previews(pipeline: Pipeline, table: str = "source") -> dict[str, str]:
    """Compiled previews as text, as a Mapping Plan shows them: one ``SELECT`` per SQL dialect
    (or why it is not expressible there) and the Polars expression."""
    from dsl.compile.polars import compile_polars
    from dsl.compile.sql import select_sql

    shown: dict[str, str] = {"polars": str(compile_polars(pipeline))}
    for dialect in PREVIEW_DIALECTS:
        assert dialect in DIALECTS
        try:
            shown[dialect] = select_sql(pipeline, dialect, table)
        except NotExpressible as e:
            shown[dialect] = f"-- {e.message}"
    return shown
