"""Work: the specialists, one LangGraph node each: ingest, domains, mapping, analysis,
migration. They exchange artifacts, never each other's objects. Filled by the stage issues."""

from __future__ import annotations

__all__: list[str] = []
