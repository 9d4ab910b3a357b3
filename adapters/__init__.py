"""Services: the only road to a model. Provider adapters behind one interface, router, cache
and cost accounting; every request is approved and masked by ``policy`` first. Filled by the
inference issue."""

from __future__ import annotations

__all__: list[str] = []
