"""Read-only SQL sources: introspection and reading, never a write.

A source is opened read-only twice over: the session itself refuses writes (PostgreSQL
``default_transaction_read_only``, MariaDB/MySQL ``SESSION TRANSACTION READ ONLY``, SQLite
``mode=ro``, DuckDB ``read_only``), and every statement sent through the source's connection is
parsed with SQLGlot first and refused unless it only reads (``SELECT``, ``WITH ... SELECT``,
``SHOW``, ``DESCRIBE``, ``EXPLAIN``, ``PRAGMA``). Credentials never leave this module: what is
recorded is the URL with its password hidden.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.errors import ContractError, PolicyBlock

if TYPE_CHECKING:
    import polars as pl
    from sqlalchemy import Engine

__all__ = ["ReadOnlySource", "SourceColumn", "SourceTable", "check_read_only"]

_DIALECTS = {
    "postgresql": "postgres",
    "mysql": "mysql",
    "mariadb": "mysql",
    "sqlite": "sqlite",
    "duckdb": "duckdb",
}
_READS = ("Select", "Union", "Intersect", "Except", "Show", "Describe", "Pragma")


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
    """A SQL source opened read-only (use as a context manager)."""

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
        self.engine: Engine = create_engine(self._read_only_url(parsed), **self._options(backend))
        event.listen(self.engine, "connect", self._on_connect)
        event.listen(self.engine, "before_cursor_execute", self._guard)

    def _read_only_url(self, parsed: Any) -> Any:
        if parsed.get_backend_name() == "sqlite" and parsed.database:
            return parsed.set(database=f"file:{parsed.database}?mode=ro", query={"uri": "true"})
        return parsed

    @staticmethod
    def _options(backend: str) -> dict[str, Any]:
        if backend == "postgresql":
            return {"connect_args": {"options": "-c default_transaction_read_only=on"}}
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

    def execute(self, sql: str) -> list[tuple[Any, ...]]:
        """Run one read statement and return its rows (writes are refused before sending)."""
        from sqlalchemy import text

        check_read_only(sql, self.dialect)
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]

    def tables(self, schema: str | None = None) -> list[SourceTable]:
        """Every table: columns with types, primary and foreign keys, a row estimate."""
        from sqlalchemy import inspect

        inspector = inspect(self.engine)
        out = []
        for name in sorted(inspector.get_table_names(schema=schema)):
            columns = [
                SourceColumn(c["name"], str(c["type"]), bool(c.get("nullable", True)))
                for c in inspector.get_columns(name, schema=schema)
            ]
            pk = inspector.get_pk_constraint(name, schema=schema).get("constrained_columns") or []
            fks = [
                {
                    "columns": fk["constrained_columns"],
                    "references": fk["referred_table"],
                    "referred_columns": fk["referred_columns"],
                }
                for fk in inspector.get_foreign_keys(name, schema=schema)
            ]
            out.append(SourceTable(name, columns, list(pk), fks, self._estimate(name)))
        return out

    def _estimate(self, table: str) -> int:
        from sqlglot import exp

        count = exp.select(exp.Count(this=exp.Star())).from_(exp.to_table(table))
        [(n,)] = self.execute(count.sql(dialect=self.dialect))
        return int(n)

    def read(self, table: str, *, limit: int | None = None) -> pl.DataFrame:
        """A table's rows as text columns (``limit`` rows at most)."""
        import polars as pl
        from sqlalchemy import text
        from sqlglot import exp

        query = exp.select(exp.Star()).from_(exp.to_table(table))
        if limit is not None:
            query = query.limit(limit)
        sql = query.sql(dialect=self.dialect)
        check_read_only(sql, self.dialect)
        with self.engine.connect() as conn:
            result = conn.execute(text(sql))
            names = list(result.keys())
            rows = result.fetchall()
        return pl.DataFrame(
            {
                n: pl.Series(n, [None if r[i] is None else str(r[i]) for r in rows], dtype=pl.Utf8)
                for i, n in enumerate(names)
            }
        )
