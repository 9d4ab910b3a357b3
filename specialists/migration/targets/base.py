"""What Migration needs from a target: staging that is exactly-once per chunk, checks, promotion.

A target keeps three things of its own beside the final table, all in the target itself so that
they commit in the same transaction as the rows they describe:

- the **staging table** of a migration (``TargetTable.staging``), columns as the final table's,
  no keys or indexes while it loads;
- ``_conduit_chunks``: one marker row per staged chunk, ``(migration_id, chunk_id)`` unique. A
  chunk's marker and its rows commit together, so a chunk is staged exactly once: a second
  writer of the same chunk (a worker whose lease lapsed, a re-run) fails on the marker and its
  rows roll back with it;
- ``_conduit_promoted``: the content hash of each chunk of the latest promotion into a table,
  which is how a second migration of the same data knows its chunks are no-ops.

Implementations: :mod:`specialists.migration.targets.postgres` (COPY, swap-on-empty, conditional
upserts), :mod:`specialists.migration.targets.sql` (SQLite, DuckDB, MariaDB) and
:mod:`specialists.migration.targets.parquet`. ``open_target(location)`` picks one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from hashlib import sha256
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "CHUNKS_TABLE",
    "PROMOTED_TABLE",
    "Fault",
    "Promotion",
    "StagedChunk",
    "Target",
    "TargetColumn",
    "TargetTable",
    "no_fault",
]

CHUNKS_TABLE = "_conduit_chunks"
PROMOTED_TABLE = "_conduit_promoted"

#: A fault hook: called with a point name (``"promote.before_commit"``) inside the promotion;
#: tests pass one that raises there. Production passes :func:`no_fault`.
Fault = Callable[[str], None]


def no_fault(point: str) -> None:
    """The production fault hook: does nothing."""


@dataclass(frozen=True)
class TargetColumn:
    """A final-table column: its name, its target-schema type (``decimal(12,2)``), key or not."""

    name: str
    type: str
    key: bool = False

    @property
    def family(self) -> str:
        return self.type.split("(")[0]


@dataclass(frozen=True)
class TargetTable:
    """The final table a migration writes, and the names of its staging.

    >>> t = TargetTable("bank_txn", (TargetColumn("id", "integer", True),), "01J.1")
    >>> t.keys, t.staging.startswith("_conduit_stg_"), len(t.staging)
    (('id',), True, 29)
    """

    table: str
    columns: tuple[TargetColumn, ...]
    migration_id: str

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.key)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def staging(self) -> str:
        return "_conduit_stg_" + sha256(self.migration_id.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class StagedChunk:
    content_hash: str
    rows: int


@dataclass(frozen=True)
class Promotion:
    """What a promotion did: ``mode`` is ``swap`` (an empty final table replaced by the staging
    table in one transaction), ``upsert`` (staging merged into the final table by key) or
    ``replace`` (a file written beside the final one and renamed over it); ``rows`` the staged
    rows promoted; ``changed`` the final rows inserted or updated (a replay changes none)."""

    mode: str
    rows: int
    changed: int


class Target(Protocol):
    """A migration target. Every method is safe to call again after a crash (idempotent)."""

    #: The SQL dialect of the target (``postgres``, ``sqlite``, ``duckdb``, ``mysql``), or
    #: ``parquet``.
    dialect: str

    def prepare(self, table: TargetTable) -> None:
        """Create the final table (from ``table.columns``, keys as its primary key) when it does
        not exist, the staging table, and the two bookkeeping tables."""

    def stage_chunk(
        self, table: TargetTable, chunk_id: int, content_hash: str, frame: pl.DataFrame
    ) -> bool:
        """Write one chunk's rows (columns in ``table.names`` order, already of the target's
        types) and its marker in one transaction. False, writing nothing, when the chunk's marker
        is already there."""

    def staged_chunks(self, table: TargetTable) -> dict[int, StagedChunk]:
        """The markers of ``table.migration_id``: chunk id -> content hash and rows."""

    def final_rows(self, table_name: str) -> int:
        """Rows in the final table (0 when it does not exist)."""

    def staged_rows(self, table: TargetTable) -> int:
        """Rows in the staging table."""

    def staged_sums(self, table: TargetTable, columns: Sequence[str]) -> dict[str, Decimal]:
        """The target's own sum of each of ``columns`` over the staging table."""

    def duplicate_keys(self, table: TargetTable) -> list[tuple[Any, ...]]:
        """Key tuples that occur more than once in staging."""

    def fk_violations(self, table: TargetTable) -> list[tuple[tuple[Any, ...], str]]:
        """Staged rows whose values break a foreign key declared on the final table: (key tuple,
        which constraint, as ``column -> table(column)``)."""

    def remove_staged(self, table: TargetTable, keys: Sequence[tuple[Any, ...]]) -> int:
        """Delete staged rows by key (they go to quarantine); returns the rows deleted."""

    def promote(
        self, table: TargetTable, chunks: Mapping[int, str], fault: Fault = no_fault
    ) -> Promotion:
        """Move staging into the final table in one transaction and record ``chunks`` (chunk id ->
        content hash) as the table's latest promotion. A failure anywhere leaves the final table
        and the record exactly as they were."""

    def promoted_chunks(self, table_name: str) -> dict[int, str]:
        """The chunk hashes of the latest promotion into ``table_name`` (empty when none)."""

    def drop_staging(self, table: TargetTable) -> None:
        """Drop the staging table and the migration's markers (after promotion)."""

    def checksum(self, table_name: str, keys: Sequence[str]) -> tuple[int, str]:
        """Rows and a SHA-256 over the final table's rows ordered by ``keys`` (for validation and
        for comparing two migrations)."""

    def close(self) -> None: ...
