"""Work: Ingest, files and read-only SQL to a Standard Schema Catalog and a masked Sample Pack.

Files: sniffing, reading, the catalog and the Sample Pack exist; SQL sources, the LangGraph
node and the artifacts on the ledger arrive with the rest of issue 6."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.lazy import lazy_exports

_EXPORTS = {
    "FileFormat": "files",
    "canonical_headers": "files",
    "read_file": "files",
    "sniff": "files",
    "CatalogColumn": "catalog",
    "CatalogTable": "catalog",
    "catalog_table": "catalog",
    "SamplePack": "sample",
    "sample_pack": "sample",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from specialists.ingest.catalog import CatalogColumn, CatalogTable, catalog_table
    from specialists.ingest.files import FileFormat, canonical_headers, read_file, sniff
    from specialists.ingest.sample import SamplePack, sample_pack
