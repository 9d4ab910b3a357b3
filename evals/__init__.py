"""Work: golden sets, metrics and the nightly runner behind ``conduit eval`` (GOLDEN_FORMAT.md).
Filled by the evaluation issue."""

from __future__ import annotations

__all__: list[str] = []
