"""Work: Ingest, files and read-only SQL to a Standard Schema Catalog and a masked Sample Pack.

Built so far: file sniffing and reading, read-only SQL sources, the table catalog and the Sample
Pack. The LangGraph node, artifacts on the ledger and the CLI arrive with the rest of issue 6."""

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
    "ReadOnlySource": "sql",
    "SourceTable": "sql",
    "check_read_only": "sql",
    "file_bodies": "run",
    "source_bodies": "run",
    "source_files": "run",
    "standard_frame": "run",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from specialists.ingest.catalog import CatalogColumn, CatalogTable, catalog_table
    from specialists.ingest.files import FileFormat, canonical_headers, read_file, sniff
    from specialists.ingest.run import file_bodies, source_bodies, source_files, standard_frame
    from specialists.ingest.sample import SamplePack, sample_pack
    from specialists.ingest.sql import ReadOnlySource, SourceTable, check_read_only
