"""SQLite, DuckDB and MariaDB/MySQL targets, through SQLAlchemy.

One class, :class:`SqlTarget`, serves the three dialects; they differ in a few places, each kept
in one function:

- column types (:func:`sql_type`): MariaDB cannot key a ``TEXT`` column, so its key strings are
  ``VARCHAR(255)``; its tables are ``utf8mb4_bin`` so that ``'a'`` and ``'A'`` are two keys, as
  they are in SQLite, DuckDB and the source;
- loading a chunk: SQLite and MariaDB take ``executemany``; DuckDB reads the Polars frame
  directly, through the Arrow C stream interface (no pyarrow needed), on the very connection
  that holds the marker's transaction;
- the upsert: ``INSERT ... SELECT ... ON CONFLICT (keys) DO UPDATE ... WHERE <a column differs>``
  on SQLite and DuckDB, ``INSERT ... SELECT ... ON DUPLICATE KEY UPDATE`` on MariaDB;
- foreign keys: read with ``sqlalchemy.inspect`` on SQLite and MariaDB, from DuckDB's own
  ``duckdb_constraints()`` on DuckDB, whose SQLAlchemy reflection fails on SQLAlchemy >= 2.0.45
  (duckdb_engine#1379, see :mod:`specialists.ingest.sql`).

Every identifier is quoted (``quote_identifier``: always, as DuckDB reserves words such as
``at`` that the PostgreSQL word list of duckdb-engine does not) and every value is bound. SQLite
holds ``DECIMAL`` as binary numbers (``NUMERIC`` affinity); its sums are rounded to the scale.

Driver errors leave as §31 errors (:meth:`SqlTarget._errors`): a lost connection, a locked
database or a write conflict is ``TransientError``, any other refusal ``DeterministicFailure``;
messages name the table and the URL with its password hidden.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event, exc, inspect, text
from sqlalchemy.engine import make_url

from core.errors import ContractError, DeterministicFailure, TransientError
from specialists.migration.targets.base import (
    CHUNKS_TABLE,
    PROMOTED_TABLE,
    Fault,
    Promotion,
    StagedChunk,
    TargetColumn,
    TargetTable,
    no_fault,
)
from specialists.migration.targets.values import checksum_rows, decimal_shape, sum_as_decimal

if TYPE_CHECKING:
    import polars as pl
    from sqlalchemy import Connection, Engine

__all__ = ["SqlTarget", "checksum_rows", "decimal_shape", "sql_type", "sum_as_decimal"]

_DIALECTS = {"sqlite": "sqlite", "duckdb": "duckdb", "mysql": "mysql", "mariadb": "mysql"}
#: Rows per ``executemany`` batch: bounds the memory of the parameter lists.
_BATCH = 10_000
_ENGINE_OPTIONS: dict[str, dict[str, Any]] = {
    "sqlite": {"connect_args": {"timeout": 30}},
    "mysql": {"pool_pre_ping": True, "connect_args": {"charset": "utf8mb4"}},
}
#: The bookkeeping tables' columns, the first two their key; typed by name, text by default.
_BOOKKEEPING = {
    CHUNKS_TABLE: ("migration_id", "chunk_id", "content_hash", "rows", "staged_at"),
    PROMOTED_TABLE: ("table_name", "chunk_id", "content_hash", "promoted_at"),
}
_BOOKKEEPING_TYPES = dict.fromkeys(("chunk_id", "rows"), "integer") | dict.fromkeys(
    ("staged_at", "promoted_at"), "timestamp"
)
#: Appended to CREATE TABLE: transactional tables whose strings compare by code point.
_TABLE_OPTIONS = {"mysql": " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"}
#: SQLite ``OperationalError`` messages that a retry can cure (the rest are refusals).
_SQLITE_TRANSIENT = ("locked", "busy", "unable to open", "disk i/o")


def sql_type(column: TargetColumn, dialect: str) -> str:
    """The column's type in ``dialect``'s DDL.

    >>> sql_type(TargetColumn("id", "string", key=True), "mysql")
    'VARCHAR(255)'
    >>> sql_type(TargetColumn("amount", "decimal(12,2)"), "sqlite")
    'DECIMAL(12,2)'
    >>> sql_type(TargetColumn("at", "timestamp"), "mysql")
    'DATETIME(6)'
    """
    family = column.family
    if family == "string":
        return "VARCHAR(255)" if dialect == "mysql" and column.key else "TEXT"
    if family == "decimal":
        precision, scale = decimal_shape(column)
        return f"DECIMAL({precision},{scale})"
    simple = {
        "integer": "BIGINT",
        "float": "REAL" if dialect == "sqlite" else "DOUBLE",
        "boolean": "BOOLEAN",
        "date": "DATE",
        "timestamp": "DATETIME(6)" if dialect == "mysql" else "TIMESTAMP",
    }
    if family not in simple:
        raise ContractError(f"column {column.name!r}: no SQL type for {column.type!r}")
    return simple[family]


@dataclass(frozen=True)
class _ForeignKey:
    columns: tuple[str, ...]
    referred_table: str
    referred_columns: tuple[str, ...]

    @property
    def label(self) -> str:
        referred = ", ".join(self.referred_columns)
        return f"{', '.join(self.columns)} -> {self.referred_table}({referred})"


class _AlreadyStaged(Exception):
    """The chunk's marker is there: roll its transaction back."""


class SqlTarget:
    """A SQLite, DuckDB or MariaDB/MySQL database as a migration target.

    Args:
        url: a SQLAlchemy URL: ``sqlite:////path.db``, ``duckdb:////path.duckdb`` or
            ``mysql+pymysql://user@host:3306/db``.

    Raises:
        ContractError: the URL is not a database URL or names another backend.
    """

    def __init__(self, url: str) -> None:
        try:
            parsed = make_url(url)
        except Exception:  # noqa: BLE001 - any parse failure is a bad location
            raise ContractError("the target is not a database URL", field="rhs.location") from None
        backend = parsed.get_backend_name()
        if backend not in _DIALECTS:
            raise ContractError(f"unsupported SQL target: {backend}", field="rhs.location")
        self.dialect: str = _DIALECTS[backend]
        self.display_url = parsed.render_as_string(hide_password=True)
        self._password = str(parsed.password) if parsed.password else None
        try:
            self.engine: Engine = create_engine(parsed, **_ENGINE_OPTIONS.get(self.dialect, {}))
        except ImportError as e:
            raise ContractError(
                f"unsupported SQL target: {backend} (its driver is not installed: {e.name})",
                field="rhs.location",
            ) from e
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_connect)
            event.listen(self.engine, "begin", _sqlite_begin)
        self._quote = self.engine.dialect.identifier_preparer.quote_identifier

    # -- errors ------------------------------------------------------------------------------

    @contextmanager
    def _errors(self, action: str, table: str) -> Iterator[None]:
        """Driver errors as §31 errors: ``action`` and ``table`` say what was being done."""
        try:
            yield
        except exc.DBAPIError as e:
            reason = self._reason(e)
            if self._transient(e):
                raise TransientError(
                    f"{self.display_url}: lost the connection or met a conflict while {action} "
                    f"{table!r}; retry ({reason})"
                ) from e
            raise DeterministicFailure(
                f"{self.display_url}: the target refused {action} {table!r} ({reason})"
            ) from e
        except exc.SQLAlchemyError as e:  # pool timeouts, disconnections before a cursor
            raise TransientError(
                f"{self.display_url}: no connection while {action} {table!r} ({self._reason(e)})"
            ) from e

    @contextmanager
    def _connection(self, action: str, table: str, *, write: bool = False) -> Iterator[Connection]:
        """A connection whose driver errors arrive as §31 errors; with ``write``, in a
        transaction that commits at the end of the block (rolls back on any exception)."""
        with (
            self._errors(action, table),
            self.engine.begin() if write else self.engine.connect() as conn,
        ):
            yield conn

    def _transient(self, error: exc.DBAPIError) -> bool:
        if error.connection_invalidated or isinstance(error, exc.InterfaceError):
            return True
        if not isinstance(error, exc.OperationalError):
            return False
        if self.dialect == "sqlite":  # SQLite reports missing tables as OperationalError too
            return any(word in str(error.orig).lower() for word in _SQLITE_TRANSIENT)
        return True

    def _reason(self, error: Exception) -> str:
        lines = str(getattr(error, "orig", None) or error).strip().splitlines()
        reason = lines[0] if lines else type(error).__name__
        return reason.replace(self._password, "***") if self._password else reason

    # -- SQL pieces --------------------------------------------------------------------------

    def _names(self, names: Iterable[str], prefix: str = "") -> str:
        return ", ".join(prefix + self._quote(n) for n in names)

    def _create(self, name: str, columns: Sequence[TargetColumn], keys: Sequence[str]) -> str:
        parts = [
            f"{self._quote(c.name)} {sql_type(c, self.dialect)}"
            + (" NOT NULL" if c.key and keys else "")
            for c in columns
        ]
        if keys:
            parts.append(f"PRIMARY KEY ({self._names(keys)})")
        options = _TABLE_OPTIONS.get(self.dialect, "")
        return f"CREATE TABLE IF NOT EXISTS {self._quote(name)} ({', '.join(parts)}){options}"

    def _bookkeeping(self) -> list[str]:
        return [
            self._create(
                name,
                [TargetColumn(c, _BOOKKEEPING_TYPES.get(c, "string"), c in cs[:2]) for c in cs],
                cs[:2],
            )
            for name, cs in _BOOKKEEPING.items()
        ]

    def _params(self, values: Sequence[Any], prefix: str = "p") -> dict[str, Any]:
        return {f"{prefix}{i}": self._bindable(v) for i, v in enumerate(values)}

    def _bindable(self, value: Any) -> Any:
        """A value the driver binds as the column expects (sqlite3 takes no Decimal and its
        date adapters are deprecated: give it text, as SQLite stores them)."""
        if self.dialect != "sqlite":
            return value
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, datetime):
            return value.isoformat(sep=" ")
        if isinstance(value, date):
            return value.isoformat()
        return value

    # -- Target ------------------------------------------------------------------------------

    def prepare(self, table: TargetTable) -> None:
        """Create the final table (when missing), the staging table and the bookkeeping tables.

        Raises:
            ContractError: the table has no key column, or a column type has no SQL type.
        """
        if not table.keys:
            raise ContractError(f"table {table.table!r}: a SQL target needs at least one key")
        statements = [
            self._create(table.table, table.columns, table.keys),
            self._create(table.staging, table.columns, ()),
            *self._bookkeeping(),
        ]
        with self._connection("creating", table.table, write=True) as conn:
            for statement in statements:
                conn.execute(text(statement))

    def stage_chunk(
        self, table: TargetTable, chunk_id: int, content_hash: str, frame: pl.DataFrame
    ) -> bool:
        """Insert the chunk's marker, then its rows, in one transaction; False, writing nothing,
        when the marker is already there (another writer staged the chunk)."""
        missing = set(table.names) - set(frame.columns)
        if missing:
            raise ContractError(f"chunk {chunk_id} of {table.table!r} lacks {sorted(missing)}")
        frame = frame.select(table.names)
        marker = text(
            f"INSERT INTO {self._quote(CHUNKS_TABLE)} "
            f"({self._names(('migration_id', 'chunk_id', 'content_hash', 'rows', 'staged_at'))}) "
            "VALUES (:m, :c, :h, :r, CURRENT_TIMESTAMP)"
        )
        params = {"m": table.migration_id, "c": chunk_id, "h": content_hash, "r": frame.height}
        try:
            with self._connection("staging a chunk of", table.table, write=True) as conn:
                try:
                    conn.execute(marker, params)
                except exc.IntegrityError:
                    raise _AlreadyStaged from None
                self._insert_frame(conn, table, frame)
        except _AlreadyStaged:
            return False
        return True

    def _insert_frame(self, conn: Connection, table: TargetTable, frame: pl.DataFrame) -> None:
        if frame.height == 0:
            return
        target = f"INSERT INTO {self._quote(table.staging)} ({self._names(table.names)})"
        if self.dialect == "duckdb":
            self._insert_arrow(conn, target, table, frame)
            return
        values = ", ".join(f":p{i}" for i in range(len(table.names)))
        statement = text(f"{target} VALUES ({values})")
        for part in frame.iter_slices(_BATCH):
            conn.execute(statement, [self._params(row) for row in part.iter_rows()])

    def _insert_arrow(
        self, conn: Connection, target: str, table: TargetTable, frame: pl.DataFrame
    ) -> None:
        """DuckDB scans the frame through the Arrow C stream interface on the connection of the
        open transaction, so the rows commit or roll back with the marker."""
        raw: Any = conn.connection.driver_connection
        view = f"_conduit_frame_{uuid.uuid4().hex}"
        raw.register(view, _ArrowStream(frame))
        try:
            conn.execute(
                text(f"{target} SELECT {self._names(table.names)} FROM {self._quote(view)}")
            )
        except BaseException:
            # An aborted transaction refuses the unregister too; the rollback drops the view.
            with suppress(Exception):
                raw.unregister(view)
            raise
        raw.unregister(view)

    def staged_chunks(self, table: TargetTable) -> dict[int, StagedChunk]:
        """The markers of the migration: chunk id -> content hash and rows."""
        query = text(
            f"SELECT {self._names(('chunk_id', 'content_hash', 'rows'))} "
            f"FROM {self._quote(CHUNKS_TABLE)} WHERE {self._quote('migration_id')} = :m"
        )
        with self._connection("reading the chunk markers of", table.table) as conn:
            rows = conn.execute(query, {"m": table.migration_id}).all()
        return {int(c): StagedChunk(str(h), int(n)) for c, h, n in rows}

    def staged_rows(self, table: TargetTable) -> int:
        """Rows in the staging table."""
        with self._connection("counting the staged rows of", table.table) as conn:
            return self._count(conn, table.staging)

    def final_rows(self, table_name: str) -> int:
        """Rows in the final table (0 when it does not exist)."""
        from sqlalchemy import inspect

        with self._connection("counting the rows of", table_name) as conn:
            if not inspect(conn).has_table(table_name):
                return 0
            return self._count(conn, table_name)

    def _count(self, conn: Connection, name: str) -> int:
        return int(conn.execute(text(f"SELECT COUNT(*) FROM {self._quote(name)}")).scalar_one())

    def staged_sums(self, table: TargetTable, columns: Sequence[str]) -> dict[str, Decimal]:
        """The database's ``SUM`` of each of ``columns`` over staging (0 when it is empty),
        decimal columns rounded to their scale."""
        if not columns:
            return {}
        sums = ", ".join(f"SUM({self._quote(c)})" for c in columns)
        query = text(f"SELECT {sums} FROM {self._quote(table.staging)}")
        with self._connection("summing the staged rows of", table.table) as conn:
            row = conn.execute(query).one()
        by_name = {c.name: c for c in table.columns}
        return {
            name: sum_as_decimal(value, by_name.get(name))
            for name, value in zip(columns, row, strict=True)
        }

    def duplicate_keys(self, table: TargetTable) -> list[tuple[Any, ...]]:
        """Key tuples that occur more than once in staging, in key order."""
        keys = self._names(table.keys)
        query = text(
            f"SELECT {keys} FROM {self._quote(table.staging)} GROUP BY {keys} "
            f"HAVING COUNT(*) > 1 ORDER BY {keys}"
        )
        with self._connection("checking the keys of", table.table) as conn:
            return [tuple(r) for r in conn.execute(query)]

    def fk_violations(self, table: TargetTable) -> list[tuple[tuple[Any, ...], str]]:
        """Staged rows whose non-null foreign-key columns match no row of the referred table (a
        self-reference may also be met by another staged row), by the final table's foreign
        keys: (key tuple, ``column -> table(column)``)."""
        out: list[tuple[tuple[Any, ...], str]] = []
        with self._connection("checking the foreign keys of", table.table) as conn:
            for fk in self._foreign_keys(conn, table.table):
                query = text(self._orphans(table, fk))
                out.extend((tuple(r), fk.label) for r in conn.execute(query))
        return out

    def _orphans(self, table: TargetTable, fk: _ForeignKey) -> str:
        pairs = list(zip(fk.columns, fk.referred_columns, strict=True))
        present = " AND ".join(f"s.{self._quote(c)} IS NOT NULL" for c in fk.columns)

        def exists(name: str) -> str:
            match = " AND ".join(f"r.{self._quote(rc)} = s.{self._quote(c)}" for c, rc in pairs)
            return f"EXISTS (SELECT 1 FROM {self._quote(name)} r WHERE {match})"

        found = [exists(fk.referred_table)]
        if fk.referred_table == table.table:
            found.append(exists(table.staging))
        missing = " AND ".join(f"NOT {e}" for e in found)
        return (
            f"SELECT {self._names(table.keys, 's.')} FROM {self._quote(table.staging)} s "
            f"WHERE {present} AND {missing} ORDER BY {self._names(table.keys, 's.')}"
        )

    def _foreign_keys(self, conn: Connection, name: str) -> list[_ForeignKey]:
        if self.dialect == "duckdb":
            query = text(
                "SELECT constraint_column_names, referenced_table, referenced_column_names "
                "FROM duckdb_constraints() WHERE database_name = current_database() "
                "AND schema_name = current_schema() AND table_name = :t AND constraint_type = :k"
            )
            rows = conn.execute(query, {"t": name, "k": "FOREIGN KEY"}).all()
            return [_ForeignKey(tuple(c), str(t), tuple(r)) for c, t, r in rows]
        return [
            _ForeignKey(
                tuple(fk["constrained_columns"]),
                fk["referred_table"],
                tuple(fk["referred_columns"]),
            )
            for fk in inspect(conn).get_foreign_keys(name)
        ]

    def remove_staged(self, table: TargetTable, keys: Sequence[tuple[Any, ...]]) -> int:
        """Delete the staged rows of ``keys``; returns the rows deleted."""
        if not keys:
            return 0
        match = " AND ".join(f"{self._quote(k)} = :k{i}" for i, k in enumerate(table.keys))
        statement = text(f"DELETE FROM {self._quote(table.staging)} WHERE {match}")
        with self._connection("removing staged rows of", table.table, write=True) as conn:
            before = self._count(conn, table.staging)
            conn.execute(statement, [self._params(key, "k") for key in keys])
            return before - self._count(conn, table.staging)

    def promote(
        self, table: TargetTable, chunks: Mapping[int, str], fault: Fault = no_fault
    ) -> Promotion:
        """Upsert staging into the final table and record ``chunks``, in one transaction.

        ``changed`` is the final rows inserted or whose values changed (a replay: 0). SQLite and
        DuckDB: the upsert's rowcount, as ``DO UPDATE`` touches only rows where a column differs.
        MariaDB's affected rows cannot tell (SQLAlchemy always sets ``CLIENT_FOUND_ROWS``: an
        unchanged row counts 1, like an insert), so it counts first, in the same transaction,
        the staged rows with no identical (``<=>``) final row.

        Raises:
            DeterministicFailure: the database refused the upsert (duplicate staged keys on
                DuckDB, a foreign key). The final table and the record are as they were.
        """
        with self._connection("promoting into", table.table, write=True) as conn:
            rows = self._count(conn, table.staging)
            if self.dialect == "mysql":
                changed = int(conn.execute(text(self._changed_mysql(table))).scalar_one())
                conn.execute(text(self._upsert(table)))
            else:
                changed = max(conn.execute(text(self._upsert(table))).rowcount, 0)
            fault("promote.after_upsert")
            self._record(conn, table.table, chunks)
            fault("promote.before_commit")
        return Promotion(mode="upsert", rows=rows, changed=changed)

    def _upsert(self, table: TargetTable) -> str:
        final, names = self._quote(table.table), self._names(table.names)
        values = [n for n in table.names if n not in table.keys]
        insert = f"INSERT INTO {final} ({names}) SELECT {names} FROM {self._quote(table.staging)}"
        if self.dialect == "mysql":
            updates = [f"{self._quote(v)} = VALUES({self._quote(v)})" for v in values] or [
                f"{self._quote(table.keys[0])} = {self._quote(table.keys[0])}"  # all key: no-op
            ]
            return f"{insert} ON DUPLICATE KEY UPDATE {', '.join(updates)}"
        conflict = f" WHERE true ON CONFLICT ({self._names(table.keys)})"
        if not values:
            return f"{insert}{conflict} DO NOTHING"
        distinct = "IS NOT" if self.dialect == "sqlite" else "IS DISTINCT FROM"
        sets = ", ".join(f"{self._quote(v)} = excluded.{self._quote(v)}" for v in values)
        differs = " OR ".join(
            f"{final}.{self._quote(v)} {distinct} excluded.{self._quote(v)}" for v in values
        )
        return f"{insert}{conflict} DO UPDATE SET {sets} WHERE {differs}"

    def _changed_mysql(self, table: TargetTable) -> str:
        same = " AND ".join(f"f.{self._quote(n)} <=> s.{self._quote(n)}" for n in table.names)
        return (
            f"SELECT COUNT(*) FROM {self._quote(table.staging)} s WHERE NOT EXISTS "
            f"(SELECT 1 FROM {self._quote(table.table)} f WHERE {same})"
        )

    def _record(self, conn: Connection, table_name: str, chunks: Mapping[int, str]) -> None:
        promoted = self._quote(PROMOTED_TABLE)
        conn.execute(
            text(f"DELETE FROM {promoted} WHERE {self._quote('table_name')} = :t"),
            {"t": table_name},
        )
        if chunks:
            columns = self._names(("table_name", "chunk_id", "content_hash", "promoted_at"))
            conn.execute(
                text(f"INSERT INTO {promoted} ({columns}) VALUES (:t, :c, :h, CURRENT_TIMESTAMP)"),
                [{"t": table_name, "c": c, "h": h} for c, h in sorted(chunks.items())],
            )

    def promoted_chunks(self, table_name: str) -> dict[int, str]:
        """The chunk hashes of the latest promotion into ``table_name`` (empty when none, also
        before the first ``prepare``)."""
        query = text(
            f"SELECT {self._names(('chunk_id', 'content_hash'))} "
            f"FROM {self._quote(PROMOTED_TABLE)} WHERE {self._quote('table_name')} = :t"
        )
        with self._connection("reading the promotion record of", table_name) as conn:
            if not inspect(conn).has_table(PROMOTED_TABLE):
                return {}
            return {int(c): str(h) for c, h in conn.execute(query, {"t": table_name})}

    def drop_staging(self, table: TargetTable) -> None:
        """Drop the staging table and delete the migration's markers."""
        markers = text(
            f"DELETE FROM {self._quote(CHUNKS_TABLE)} WHERE {self._quote('migration_id')} = :m"
        )
        with self._connection("dropping the staging of", table.table, write=True) as conn:
            conn.execute(text(f"DROP TABLE IF EXISTS {self._quote(table.staging)}"))
            if inspect(conn).has_table(CHUNKS_TABLE):
                conn.execute(markers, {"m": table.migration_id})

    def checksum(self, table_name: str, keys: Sequence[str]) -> tuple[int, str]:
        """Rows and a SHA-256 over the final table's rows ordered by ``keys``
        (:func:`checksum_rows`). String keys order by code point on every dialect here (the
        MariaDB tables this target creates are ``utf8mb4_bin``)."""
        if not keys:
            raise ContractError(f"table {table_name!r}: a checksum needs the key columns")
        query = text(f"SELECT * FROM {self._quote(table_name)} ORDER BY {self._names(keys)}")
        with self._connection("reading", table_name) as conn:
            if self.dialect == "mysql":
                conn = conn.execution_options(stream_results=True)
            result = conn.execute(query)
            return checksum_rows(row for part in result.partitions(_BATCH) for row in part)

    def close(self) -> None:
        """Close the engine's connections."""
        self.engine.dispose()


class _ArrowStream:
    """Only a frame's Arrow C stream: DuckDB scans that without pyarrow (not installed here)."""

    def __init__(self, frame: pl.DataFrame) -> None:
        self._frame = frame

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        return self._frame.__arrow_c_stream__(requested_schema)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    """Turn off sqlite3's own transaction handling, which begins a transaction only at the first
    write (so a count before it would read outside the transaction) and leaves DDL out, and
    enforce foreign keys, which SQLite does only when asked, per connection (the others do)."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    """Take the write lock at once (``IMMEDIATE``): a transaction that reads, then writes, fails
    at once (busy timeout or not) when another writer holds the lock; readers wait up to 30 s."""
    conn.exec_driver_sql("BEGIN IMMEDIATE")
