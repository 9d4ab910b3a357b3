"""Services: the Transform DSL (§11, §35): op models, validation, compilers to SQL and Polars."""

from __future__ import annotations

from dsl.version import DSL_VERSION, supports

__all__ = ["DSL_VERSION", "supports"]
