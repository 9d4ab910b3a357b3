"""A Parquet file as a migration target: staging in files, promotion by rename.

Beside the final file ``<path>`` the target keeps:

- ``<path>.conduit-staging/<sha of migration id>/chunk-000042.parquet``: one file per staged
  chunk. The file is the chunk's marker: its content hash and row count ride in the Parquet
  key-value metadata, so rows and marker appear together, by one hard link of a fully written
  and fsynced temporary file (a link fails when the name exists, so of two writers of one chunk
  exactly one wins; where the filesystem has no hard links, a checked ``os.replace``);
- ``<path>.conduit-promoted.json``: the latest promotion's chunk hashes, and the token of the
  final file it describes.

A promotion writes the merged table to ``<path>.tmp-<token>`` (its metadata holding the token),
fsyncs it and renames it over ``<path>``; only then is the record replaced (again temp, fsync,
rename). Two renames cannot be one transaction, so the record is trusted only when its token is
the final file's: after a crash between the two, ``promoted_chunks`` reports nothing and the next
migration redoes its chunks rather than skipping them.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from hashlib import sha256
from pathlib import Path
from typing import Any

import polars as pl

from core.errors import ContractError, DeterministicFailure, TransientError
from specialists.migration.targets.base import (
    Fault,
    Promotion,
    StagedChunk,
    TargetColumn,
    TargetTable,
    no_fault,
)
from specialists.migration.targets.values import checksum_rows, decimal_shape, sum_as_decimal

__all__ = ["ParquetTarget", "polars_type"]

_META_MIGRATION = "conduit.migration_id"
_META_CHUNK = "conduit.chunk_id"
_META_HASH = "conduit.content_hash"
_META_ROWS = "conduit.rows"
_META_PROMOTION = "conduit.promotion"
#: OSErrors that a retry cannot cure.
_REFUSALS = (PermissionError, IsADirectoryError, NotADirectoryError, FileNotFoundError)


def polars_type(column: TargetColumn) -> pl.DataType:
    """The Polars dtype a column is stored as.

    >>> polars_type(TargetColumn("amount", "decimal(12,2)"))
    Decimal(precision=12, scale=2)
    """
    family = column.family
    if family == "decimal":
        precision, scale = decimal_shape(column)
        return pl.Decimal(precision, scale)
    simple: dict[str, pl.DataType] = {
        "string": pl.String(),
        "integer": pl.Int64(),
        "float": pl.Float64(),
        "boolean": pl.Boolean(),
        "date": pl.Date(),
        "timestamp": pl.Datetime("us"),
    }
    if family not in simple:
        raise ContractError(f"column {column.name!r}: no Parquet type for {column.type!r}")
    return simple[family]


def _schema(table: TargetTable) -> pl.Schema:
    return pl.Schema({c.name: polars_type(c) for c in table.columns})


class ParquetTarget:
    """One Parquet file as a migration target.

    Args:
        path: the final file. Staging and the promotion record live beside it.
    """

    dialect = "parquet"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._staging_root = self.path.with_name(self.path.name + ".conduit-staging")
        self._record_path = self.path.with_name(self.path.name + ".conduit-promoted.json")

    # -- files -------------------------------------------------------------------------------

    @contextmanager
    def _errors(self, action: str, table: str) -> Iterator[None]:
        """File and Polars errors as §31 errors naming the table and the file."""
        try:
            yield
        except _REFUSALS as e:
            raise DeterministicFailure(f"{self.path}: refused {action} {table!r} ({e})") from e
        except OSError as e:  # a full disk, a lost network mount: may pass
            raise TransientError(f"{self.path}: failed {action} {table!r}; retry ({e})") from e
        except pl.exceptions.PolarsError as e:
            raise DeterministicFailure(f"{self.path}: cannot {action} {table!r} ({e})") from e

    def _dir(self, table: TargetTable) -> Path:
        return self._staging_root / sha256(table.migration_id.encode()).hexdigest()[:16]

    def _chunk_files(self, table: TargetTable) -> list[Path]:
        folder = self._dir(table)
        return sorted(folder.glob("chunk-*.parquet")) if folder.is_dir() else []

    def _staged(self, table: TargetTable) -> pl.LazyFrame:
        files = self._chunk_files(table)
        if not files:
            return pl.LazyFrame(schema=_schema(table))
        return pl.scan_parquet(files).select(table.names).cast(_schema(table))

    def _check_final(self, table: TargetTable) -> None:
        if not self.path.exists():
            return
        found = list(pl.read_parquet_schema(self.path))
        if found != list(table.names):
            raise ContractError(
                f"{self.path}: holds columns {found}, not the {list(table.names)} of "
                f"{table.table!r}"
            )

    # -- Target ------------------------------------------------------------------------------

    def prepare(self, table: TargetTable) -> None:
        """Create the staging directory; check an existing final file has the table's columns
        (the final file itself appears at the first promotion)."""
        _schema(table)
        if not table.keys:
            raise ContractError(f"table {table.table!r}: a Parquet target needs at least one key")
        with self._errors("preparing", table.table):
            self._check_final(table)
            self._dir(table).mkdir(parents=True, exist_ok=True)

    def stage_chunk(
        self, table: TargetTable, chunk_id: int, content_hash: str, frame: pl.DataFrame
    ) -> bool:
        """Write the chunk's file (rows and marker in one); False, writing nothing, when it is
        already there."""
        folder = self._dir(table)
        dest = folder / f"chunk-{chunk_id:06d}.parquet"
        if dest.exists():
            return False
        metadata = {
            _META_MIGRATION: table.migration_id,
            _META_CHUNK: str(chunk_id),
            _META_HASH: content_hash,
            _META_ROWS: str(frame.height),
        }
        tmp = folder / f".{dest.name}.tmp-{uuid.uuid4().hex}"
        with self._errors("staging a chunk of", table.table):
            folder.mkdir(parents=True, exist_ok=True)
            try:
                frame.select(table.names).cast(_schema(table)).write_parquet(tmp, metadata=metadata)
                _fsync(tmp)
                _publish(tmp, dest)
            except FileExistsError:
                return False
            finally:
                tmp.unlink(missing_ok=True)
            _fsync(folder)
        return True

    def staged_chunks(self, table: TargetTable) -> dict[int, StagedChunk]:
        """The staged chunk files of the migration: chunk id -> content hash and rows."""
        out: dict[int, StagedChunk] = {}
        with self._errors("reading the chunk markers of", table.table):
            for file in self._chunk_files(table):
                meta = pl.read_parquet_metadata(file)
                out[int(meta[_META_CHUNK])] = StagedChunk(meta[_META_HASH], int(meta[_META_ROWS]))
        return out

    def final_rows(self, table_name: str) -> int:
        """Rows in the final file (0 when there is none)."""
        if not self.path.exists():
            return 0
        with self._errors("counting the rows of", table_name):
            return int(pl.scan_parquet(self.path).select(pl.len()).collect().item())

    def staged_rows(self, table: TargetTable) -> int:
        """Rows in the staged files (after any ``remove_staged``)."""
        with self._errors("counting the staged rows of", table.table):
            return int(self._staged(table).select(pl.len()).collect().item())

    def staged_sums(self, table: TargetTable, columns: Sequence[str]) -> dict[str, Decimal]:
        """Polars' sum of each of ``columns`` over the staged files."""
        if not columns:
            return {}
        with self._errors("summing the staged rows of", table.table):
            row = self._staged(table).select(pl.col(c).sum() for c in columns).collect().row(0)
        by_name = {c.name: c for c in table.columns}
        return {
            name: sum_as_decimal(value, by_name.get(name))
            for name, value in zip(columns, row, strict=True)
        }

    def duplicate_keys(self, table: TargetTable) -> list[tuple[Any, ...]]:
        """Key tuples that occur more than once in staging, in key order."""
        keys = list(table.keys)
        with self._errors("checking the keys of", table.table):
            found = (
                self._staged(table)
                .group_by(keys)
                .agg(pl.len().alias("_conduit_n"))
                .filter(pl.col("_conduit_n") > 1)
                .select(keys)
                .sort(keys)
                .collect()
            )
        return found.rows()

    def fk_violations(self, table: TargetTable) -> list[tuple[tuple[Any, ...], str]]:
        """Always empty: a Parquet file declares no foreign keys, so there are none to break."""
        return []

    def remove_staged(self, table: TargetTable, keys: Sequence[tuple[Any, ...]]) -> int:
        """Rewrite the chunk files holding ``keys`` without those rows (each file replaced
        whole, its marker metadata kept); returns the rows removed."""
        if not keys:
            return 0
        schema = _schema(table)
        doomed = pl.DataFrame(
            [list(k) for k in keys], schema={k: schema[k] for k in table.keys}, orient="row"
        )
        removed = 0
        with self._errors("removing staged rows of", table.table):
            for file in self._chunk_files(table):
                rows = pl.read_parquet(file)
                kept = rows.join(doomed, on=list(table.keys), how="anti", nulls_equal=True)
                if kept.height == rows.height:
                    continue
                meta = {
                    k: v
                    for k, v in pl.read_parquet_metadata(file).items()
                    if k.startswith("conduit.")
                }
                _write(kept, file, meta)
                removed += rows.height - kept.height
        return removed

    def promote(
        self, table: TargetTable, chunks: Mapping[int, str], fault: Fault = no_fault
    ) -> Promotion:
        """Merge staging into the final file by key (staged rows win) and rename the result over
        it, then record ``chunks``.

        ``changed`` is the staged rows with no identical row in the old final file; staged rows
        that repeat a key are refused (DeterministicFailure), as a file has no key. A failure
        before the rename (a fault, a full disk) leaves the final file and the record as they
        were and removes the temporary file.
        """
        keys = list(table.keys)
        with self._errors("promoting into", table.table):
            self._check_final(table)
            staged = self._staged(table).collect()
            if staged.select(keys).is_duplicated().any():
                raise DeterministicFailure(
                    f"{self.path}: staged rows of {table.table!r} repeat a key; remove them first"
                )
            merged, changed = staged, staged.height
            if self.path.exists():
                old = pl.read_parquet(self.path).cast(_schema(table))
                changed = staged.join(
                    old, on=list(table.names), how="anti", nulls_equal=True
                ).height
                kept = old.join(staged.select(keys), on=keys, how="anti", nulls_equal=True)
                merged = pl.concat([kept, staged])
            merged = merged.sort(keys)
            fault("promote.after_upsert")
            token = uuid.uuid4().hex
            _write(merged, self.path, {_META_PROMOTION: token}, fault)
            self._write_record(table.table, token, chunks)
        return Promotion(mode="replace", rows=staged.height, changed=changed)

    def _write_record(self, table_name: str, token: str, chunks: Mapping[int, str]) -> None:
        record = {
            "table": table_name,
            "promotion": token,
            "chunks": {str(c): h for c, h in sorted(chunks.items())},
        }
        tmp = self._record_path.with_name(f"{self._record_path.name}.tmp-{uuid.uuid4().hex}")
        try:
            tmp.write_text(json.dumps(record, indent=1, sort_keys=True), encoding="utf-8")
            _fsync(tmp)
            os.replace(tmp, self._record_path)
        finally:
            tmp.unlink(missing_ok=True)
        _fsync(self._record_path.parent)

    def promoted_chunks(self, table_name: str) -> dict[int, str]:
        """The chunk hashes of the latest promotion into ``table_name``: empty when none, or
        when the record does not describe the final file (a crash between its two renames)."""
        with self._errors("reading the promotion record of", table_name):
            if not self._record_path.exists() or not self.path.exists():
                return {}
            record = json.loads(self._record_path.read_text(encoding="utf-8"))
            token = pl.read_parquet_metadata(self.path).get(_META_PROMOTION)
        if record.get("table") != table_name or record.get("promotion") != token:
            return {}
        return {int(c): str(h) for c, h in record["chunks"].items()}

    def drop_staging(self, table: TargetTable) -> None:
        """Delete the migration's staging directory (its chunk files are its markers)."""
        with self._errors("dropping the staging of", table.table):
            if self._dir(table).exists():
                shutil.rmtree(self._dir(table))
            try:
                self._staging_root.rmdir()  # only when no other migration stages here
            except OSError:
                pass

    def checksum(self, table_name: str, keys: Sequence[str]) -> tuple[int, str]:
        """Rows and a SHA-256 over the final file's rows ordered by ``keys``, as
        :func:`~specialists.migration.targets.sql.checksum_rows` renders them; no file is an
        empty table."""
        if not keys:
            raise ContractError(f"table {table_name!r}: a checksum needs the key columns")
        with self._errors("reading", table_name):
            if not self.path.exists():
                return checksum_rows([])
            return checksum_rows(pl.read_parquet(self.path).sort(list(keys)).iter_rows())

    def close(self) -> None:
        """Nothing to close: every method opens and closes its files."""


def _write(
    frame: pl.DataFrame, dest: Path, metadata: dict[str, str], fault: Fault = no_fault
) -> None:
    """Write ``frame`` beside ``dest``, fsync it, call ``fault("promote.before_commit")``,
    rename it over ``dest``; on any failure before the rename ``dest`` is untouched."""
    tmp = dest.with_name(f"{dest.name}.tmp-{uuid.uuid4().hex}")
    try:
        frame.write_parquet(tmp, metadata=metadata)
        _fsync(tmp)
        fault("promote.before_commit")
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    _fsync(dest.parent)


def _publish(tmp: Path, dest: Path) -> None:
    """Give ``tmp`` the name ``dest`` unless ``dest`` exists (FileExistsError)."""
    try:
        os.link(tmp, dest)
    except FileExistsError:
        raise
    except OSError:  # no hard links here (some network and FAT filesystems)
        if dest.exists():
            raise FileExistsError(dest) from None
        os.replace(tmp, dest)


def _fsync(path: Path) -> None:
    """Flush a file, or a directory's entries, to disk (directories: POSIX only)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except (IsADirectoryError, PermissionError):
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
