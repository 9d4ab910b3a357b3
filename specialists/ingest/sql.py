"""Read-only SQL sources: introspection and reading, never a write.

A source is opened read-only twice over: the session itself refuses writes (PostgreSQL
``default_transaction_read_only``, MariaDB/MySQL ``SESSION TRANSACTION READ ONLY``, SQLite
``mode=ro``, DuckDB ``read_only``), and every statement sent through the source's connection is
parsed with SQLGlot first and refused unless it only reads (``SELECT``, ``WITH ... SELECT``,
``SHOW``, ``DESCRIBE``, ``EXPLAIN``, ``PRAGMA``). Credentials never leave this module: what is
recorded is the URL with its password hidden, and driver messages are scrubbed of it.

DuckDB files connect through ``duckdb-engine``, but are introspected from DuckDB's own catalog
functions (``duckdb_columns()``, ``duckdb_constraints()``): duckdb-engine 0.17 inherits the
PostgreSQL dialect's reflection queries, which on SQLAlchemy >= 2.0.45 ask for
``pg_catalog.pg_collation`` and ``REGCLASS`` that DuckDB does not emulate (duckdb_engine#1379).

Tables are read in chunks (``read_chunks``): a server-side cursor where the driver has one
(PostgreSQL named cursors, MySQL unbuffered cursors; SQLite and DuckDB step through their results
lazily), in primary-key order when the table has a key, so memory stays bounded by the chunk and
the same source always yields the same rows in the same order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import ContractError, PolicyBlock, TransientError

if TYPE_CHECKING:
    import polars as pl
    from sqlalchemy import Connection, Engine
    from sqlalchemy.engine import URL
    from sqlglot import exp

__all__ = [
    "CHUNK_ROWS",
    "Progress",
    "ReadOnlySource",
    "SourceColumn",
    "SourceTable",
    "check_read_only",
]

_DIALECTS = {
    "postgresql": "postgres",
    "mysql": "mysql",
    "mariadb": "mysql",
    "sqlite": "sqlite",
    "duckdb": "duckdb",
}
_READS = ("Select", "Union", "Intersect", "Except", "Show", "Describe", "Pragma")
_FILE_BACKENDS = ("sqlite", "duckdb")
#: Rows per chunk when reading a table: about 10-50 MB of text for typical widths.
CHUNK_ROWS = 50_000
#: Told the number of rows read so far, after each chunk.
Progress = Callable[[int], None]


def check_read_only(sql: str, dialect: str) -> None:
    """Refuse (POLICY_BLOCK) any statement that is not a read, before it is sent.

    >>> check_read_only("SELECT 1", "postgres")
    >>> check_read_only("DELETE FROM t", "postgres")
    Traceback (most recent call last):
    ...
    core.errors.PolicyBlock: source connections are read-only; refused: Delete
    """
    import sqlglot
    from sqlglot import exp

    try:
        statements = sqlglot.parse(sql, read=dialect)
    except sqlglot.errors.ParseError:
        raise PolicyBlock(
            "source connections are read-only; refused a statement that does not parse",
            field="lhs.location",
        ) from None
    for statement in statements:
        if statement is None:
            continue
        kind = type(statement).__name__
        writes = statement.find(
            exp.Insert,
            exp.Update,
            exp.Delete,
            exp.Merge,
            exp.Create,
            exp.Drop,
            exp.Alter,
            exp.TruncateTable,
            exp.Command,
        )
        if kind not in _READS or (writes is not None and writes is not statement):
            raise PolicyBlock(
                f"source connections are read-only; refused: {kind}", field="lhs.location"
            )


@dataclass(frozen=True)
class SourceColumn:
    name: str
    type: str
    nullable: bool


@dataclass(frozen=True)
class SourceTable:
    name: str
    columns: list[SourceColumn]
    primary_key: list[str]
    foreign_keys: list[dict[str, Any]]
    row_estimate: int


class ReadOnlySource:
    """A SQL source opened read-only (use as a context manager).

    Args:
        url: a SQLAlchemy database URL: ``postgresql+psycopg://...``, ``mysql+pymysql://...``,
            ``sqlite:///path.db`` or ``duckdb:///path.duckdb``.

    Raises:
        ContractError: the URL is not a database URL, names an unsupported backend, or names a
            SQLite or DuckDB file that does not exist.
    """

    def __init__(self, url: str) -> None:
        from sqlalchemy import create_engine, event
        from sqlalchemy.engine import make_url

        try:
            parsed = make_url(url)
        except Exception:  # noqa: BLE001 - any parse failure is a bad location
            raise ContractError(
                "the SQL location is not a database URL", field="lhs.location"
            ) from None
        backend = parsed.get_backend_name()
        if backend not in _DIALECTS:
            raise ContractError(f"unsupported SQL source: {backend}", field="lhs.location")
        self.dialect = _DIALECTS[backend]
        self.display_url = parsed.render_as_string(hide_password=True)
        self._password = str(parsed.password) if parsed.password else None
        if backend in _FILE_BACKENDS:
            self._check_file(parsed)
        try:
            self.engine: Engine = create_engine(
                self._read_only_url(parsed), **self._options(backend)
            )
        except ImportError as e:
            raise ContractError(
                f"unsupported SQL source: {backend} (its driver is not installed: {e.name})",
                field="lhs.location",
            ) from e
        event.listen(self.engine, "connect", self._on_connect)
        event.listen(self.engine, "before_cursor_execute", self._guard)

    def _check_file(self, parsed: URL) -> None:
        database = parsed.database
        if not database or database == ":memory:":
            if parsed.get_backend_name() == "duckdb":
                raise ContractError(
                    "a DuckDB source is a database file (duckdb:///path/file.duckdb)",
                    field="lhs.location",
                )
            return
        if not Path(database).is_file():
            raise ContractError(
                f"{self.display_url}: the file does not exist", field="lhs.location"
            )

    def _read_only_url(self, parsed: URL) -> URL:
        if parsed.get_backend_name() == "sqlite" and parsed.database:
            return parsed.set(database=f"file:{parsed.database}?mode=ro", query={"uri": "true"})
        return parsed

    @staticmethod
    def _options(backend: str) -> dict[str, Any]:
        if backend == "postgresql":
            return {"connect_args": {"options": "-c default_transaction_read_only=on"}}
        if backend == "duckdb":
            # The database file itself is attached read-only: DuckDB refuses every write.
            return {"connect_args": {"read_only": True}}
        return {}

    def _on_connect(self, dbapi_conn: Any, _record: Any) -> None:
        if self.dialect == "mysql":
            cursor = dbapi_conn.cursor()
            cursor.execute("SET SESSION TRANSACTION READ ONLY")
            cursor.close()

    def _guard(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        check_read_only(statement, self.dialect)

    def __enter__(self) -> ReadOnlySource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.engine.dispose()

    @contextmanager
    def _connect(self) -> Iterator[Connection]:
        """A connection whose driver errors arrive as §31 errors naming the hidden-password URL:
        failing to connect is TRANSIENT_ERROR (a server down or a file locked by a writer may
        come back), a refused read is DETERMINISTIC_FAILURE."""
        from sqlalchemy import exc

        try:
            conn = self.engine.connect()
        except exc.DBAPIError as e:
            raise TransientError(f"{self.display_url}: cannot connect ({self._reason(e)})") from e
        try:
            with conn:
                yield conn
        except exc.NoSuchTableError as e:
            raise ContractError(f"{self.display_url}: no table {e}", field="lhs.location") from e
        except exc.DBAPIError as e:
            raise ContractError(
                f"{self.display_url}: the source refused a read ({self._reason(e)})",
                field="lhs.location",
            ) from e

    def _reason(self, error: Any) -> str:
        lines = str(getattr(error, "orig", None) or error).strip().splitlines()
        reason = lines[0] if lines else type(error).__name__
        return reason.replace(self._password, "***") if self._password else reason

    def execute(self, sql: str) -> list[tuple[Any, ...]]:
        """Run one read statement and return its rows (writes are refused before sending)."""
        from sqlalchemy import text

        check_read_only(sql, self.dialect)
        with self._connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]

    def tables(self, schema: str | None = None) -> list[SourceTable]:
        """Every table: columns with types, primary and foreign keys, a row count."""
        return [
            SourceTable(t.name, t.columns, t.primary_key, t.foreign_keys, self._count(t.name))
            for t in self._describe(schema)
        ]

    def primary_key(self, table: str) -> list[str]:
        """The table's primary-key columns, in key order (empty when it has none)."""
        if self.dialect == "duckdb":
            found = [t.primary_key for t in self._describe_duckdb("main") if t.name == table]
            return found[0] if found else []
        from sqlalchemy import inspect

        with self._connect() as conn:
            pk = inspect(conn).get_pk_constraint(table).get("constrained_columns")
        return list(pk or [])

    def _describe(self, schema: str | None) -> list[SourceTable]:
        """Every table as the catalog describes it (no row count yet)."""
        if self.dialect == "duckdb":
            return self._describe_duckdb(schema or "main")
        from sqlalchemy import inspect

        out = []
        with self._connect() as conn:
            inspector = inspect(conn)
            for name in sorted(inspector.get_table_names(schema=schema)):
                columns = [
                    SourceColumn(c["name"], str(c["type"]), bool(c.get("nullable", True)))
                    for c in inspector.get_columns(name, schema=schema)
                ]
                pk = inspector.get_pk_constraint(name, schema=schema).get("constrained_columns")
                fks = [
                    {
                        "columns": fk["constrained_columns"],
                        "references": fk["referred_table"],
                        "referred_columns": fk["referred_columns"],
                    }
                    for fk in inspector.get_foreign_keys(name, schema=schema)
                ]
                out.append(SourceTable(name, columns, list(pk or []), fks, 0))
        return out

    def _describe_duckdb(self, schema: str) -> list[SourceTable]:
        """DuckDB's catalog functions, read through the guarded connection."""
        from sqlglot import exp

        def catalog(function: str, *columns: str) -> list[tuple[Any, ...]]:
            query = (
                exp.select(*columns)
                .from_(exp.Table(this=exp.Anonymous(this=function)))
                .where(
                    exp.column("database_name").eq(exp.func("current_database")),
                    exp.column("schema_name").eq(exp.Literal.string(schema)),
                )
            )
            return self.execute(query.sql(dialect="duckdb"))

        names = sorted(name for (name,) in catalog("duckdb_tables", "table_name"))
        columns: dict[str, list[tuple[int, SourceColumn]]] = {n: [] for n in names}
        for table, column, kind, nullable, index in catalog(
            "duckdb_columns",
            "table_name",
            "column_name",
            "data_type",
            "is_nullable",
            "column_index",
        ):
            columns[table].append((int(index), SourceColumn(column, kind, bool(nullable))))
        keys: dict[str, list[str]] = {}
        foreign: dict[str, list[dict[str, Any]]] = {n: [] for n in names}
        for table, kind, cols, referenced, referred in catalog(
            "duckdb_constraints",
            "table_name",
            "constraint_type",
            "constraint_column_names",
            "referenced_table",
            "referenced_column_names",
        ):
            if kind == "PRIMARY KEY":
                keys[table] = list(cols)
            elif kind == "FOREIGN KEY":
                foreign[table].append(
                    {"columns": list(cols), "references": referenced, "referred_columns": referred}
                )
        return [
            SourceTable(
                name,
                [c for _, c in sorted(columns[name], key=lambda ic: ic[0])],
                keys.get(name, []),
                foreign[name],
                0,
            )
            for name in names
        ]

    def _count(self, table: str) -> int:
        from sqlglot import exp

        count = exp.select(exp.Count(this=exp.Star())).from_(_table(table))
        [(n,)] = self.execute(count.sql(dialect=self.dialect))
        return int(n)

    def read(
        self, table: str, *, limit: int | None = None, progress: Progress | None = None
    ) -> pl.DataFrame:
        """A table's rows as text columns (``limit`` rows at most), in primary-key order when
        it has a key; the chunks of ``read_chunks`` put together."""
        import polars as pl

        return pl.concat(list(self.read_chunks(table, limit=limit, progress=progress)))

    def read_chunks(
        self,
        table: str,
        *,
        rows: int = CHUNK_ROWS,
        limit: int | None = None,
        progress: Progress | None = None,
    ) -> Iterator[pl.DataFrame]:
        """A table's rows as frames of ``rows`` text columns at most, streamed from the server.

        Rows come in primary-key order when the table has a key (else in the order the server
        gives). Every frame has the table's columns; an empty table gives one empty frame.

        Args:
            table: the table's name, as ``tables()`` reports it.
            rows: rows per frame (at least 1).
            limit: read no more than this many rows.
            progress: told the number of rows read so far, after each frame.
        """
        from sqlalchemy import text
        from sqlglot import exp

        if rows < 1:
            raise ValueError("rows must be at least 1")
        query = exp.select(exp.Star()).from_(_table(table))
        key = self.primary_key(table)
        if key:
            query = query.order_by(*(exp.column(c, quoted=True) for c in key))
        if limit is not None:
            query = query.limit(limit)
        sql = query.sql(dialect=self.dialect)
        check_read_only(sql, self.dialect)
        done = 0
        with self._connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=rows).execute(text(sql))
            names = list(result.keys())
            for part in result.partitions(rows):
                done += len(part)
                if progress is not None:
                    progress(done)
                yield _frame(names, part)
        if done == 0:
            if progress is not None:
                progress(0)
            yield _frame(names, [])


def _table(name: str) -> exp.Table:
    """A table reference quoted as written (``Orders`` and ``order lines`` stay what they are)."""
    from sqlglot import exp

    return exp.Table(this=exp.to_identifier(name, quoted=True))


def _frame(names: list[str], rows: Any) -> pl.DataFrame:
    import polars as pl

    return pl.DataFrame(
        {
            n: pl.Series(n, [None if r[i] is None else str(r[i]) for r in rows], dtype=pl.Utf8)
            for i, n in enumerate(names)
        }
    )
