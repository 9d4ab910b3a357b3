"""Work: Domaining (§8, §10), which semantic domain each column of the source holds.

Built so far: the Domain Catalog v1 (``catalog_v1.yaml``), its model, validation and hash. The
evidence extraction, scoring, arbitration and the LangGraph node arrive with the rest of the
Domaining issue."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.lazy import lazy_exports

_EXPORTS = {
    "Domain": "catalog",
    "DomainCatalog": "catalog",
    "DomainKind": "catalog",
    "ValueType": "catalog",
    "alias_key": "catalog",
    "catalog_hash": "catalog",
    "load_catalog": "catalog",
    "parse_catalog": "catalog",
    "regex_problem": "patterns",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from specialists.domains.catalog import (
        Domain,
        DomainCatalog,
        DomainKind,
        ValueType,
        alias_key,
        catalog_hash,
        load_catalog,
        parse_catalog,
    )
    from specialists.domains.patterns import regex_problem
