"""The PostgreSQL target: COPY into a keyless staging table, then swap or upsert in one transaction.

How the measured costs of ``../shared/FIELD_NOTES.md`` shaped it:

- **Staging** is a logged table made ``LIKE`` the final one, with no key and no index while it
  loads: COPY into it runs about twice as fast as into a table with its primary key. Each chunk's
  rows and its marker row commit in one transaction (the marker first, so a second writer of the
  same chunk waits on it and then writes nothing).
- **Swap-on-empty.** When the final table is empty and nothing hangs on it (no grants, triggers,
  views, policies or foreign keys pointing at it, no columns Migration does not write), promotion
  builds the final table's primary key, indexes and constraints on the staging table, then in one
  transaction drops the empty final table and renames staging into its place (milliseconds).
- **Upsert** otherwise: one ``INSERT .. SELECT .. ON CONFLICT (keys) DO UPDATE .. WHERE (final)
  IS DISTINCT FROM (excluded)``; the condition makes a replay write nothing (an unconditional
  update rewrites every row and doubles the table).

Either way a failure before the commit leaves the final table as it was: the swap's DROP and
RENAME and the upsert roll back with the transaction.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from core.errors import DeterministicFailure, TransientError
from specialists.migration.targets.base import (
    CHUNKS_TABLE,
    PROMOTED_TABLE,
    Fault,
    Promotion,
    StagedChunk,
    TargetTable,
    no_fault,
)

if TYPE_CHECKING:
    import polars as pl
    import psycopg

__all__ = ["PostgresTarget", "conninfo", "pg_type", "render_csv"]

_TYPES = {
    "string": "text",
    "integer": "bigint",
    "float": "double precision",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamp",
}


def pg_type(type_: str) -> str:
    """The PostgreSQL type of a target-schema type.

    >>> pg_type("decimal(12,2)"), pg_type("string")
    ('numeric(12,2)', 'text')
    """
    if type_.startswith("decimal("):
        return "numeric" + type_[len("decimal") :]
    return _TYPES[type_]


def render_csv(frame: pl.DataFrame) -> bytes:
    """A chunk's rows as CSV without a header, the form both COPY and the content hash read:
    NULL is an empty field, an empty string is ``""``."""
    return frame.write_csv(include_header=False).encode()


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def conninfo(url: str) -> str:
    for prefix in ("postgresql+psycopg://", "postgresql+psycopg2://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix) :]
    return url


def _where(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "the target database"


class PostgresTarget:
    """A PostgreSQL database as a migration target (one connection; one per worker thread)."""

    dialect = "postgres"

    def __init__(self, url: str) -> None:
        import psycopg

        self.where = _where(url)
        try:
            self.conn: psycopg.Connection[Any] = psycopg.connect(conninfo(url), autocommit=True)
        except psycopg.OperationalError as e:
            raise TransientError(f"cannot connect to the target {self.where}: {e}") from e

    def close(self) -> None:
        self.conn.close()

    def transaction(self, what: str) -> contextlib.AbstractContextManager[psycopg.Cursor[Any]]:
        """One transaction on the target (the ELT executor's chunks run in these)."""
        return self._tx(what)

    @contextmanager
    def _tx(self, what: str) -> Iterator[psycopg.Cursor[Any]]:
        """One transaction; the target's refusals become DETERMINISTIC_FAILURE naming ``what``."""
        import psycopg

        try:
            with self.conn.transaction(), self.conn.cursor() as cur:
                yield cur
        except psycopg.OperationalError as e:
            raise TransientError(f"{what}: the target {self.where} failed: {e}") from e
        except psycopg.errors.DatabaseError as e:
            first = str(e).splitlines()[0] if str(e) else type(e).__name__
            raise DeterministicFailure(f"{what}: the target refused it: {first}") from e

    def _scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        with self._tx("reading the target") as cur:
            cur.execute(sql, params)
            row = cur.fetchone()
        return None if row is None else row[0]

    # -- preparing -------------------------------------------------------------------------

    def prepare(self, table: TargetTable) -> None:
        columns = ", ".join(f"{_q(c.name)} {pg_type(c.type)}" for c in table.columns)
        keys = ", ".join(_q(k) for k in table.keys)
        with self._tx(f"preparing {table.table}") as cur:
            cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", ("conduit:" + table.table,))
            cur.execute(
                f"CREATE TABLE IF NOT EXISTS {CHUNKS_TABLE} (migration_id text, chunk_id integer,"
                " content_hash text NOT NULL, rows integer NOT NULL,"
                " staged_at timestamptz NOT NULL DEFAULT now(),"
                " PRIMARY KEY (migration_id, chunk_id))"
            )
            cur.execute(
                f"CREATE TABLE IF NOT EXISTS {PROMOTED_TABLE} (table_name text, chunk_id integer,"
                " content_hash text NOT NULL, promoted_at timestamptz NOT NULL DEFAULT now(),"
                " PRIMARY KEY (table_name, chunk_id))"
            )
            cur.execute(
                f"CREATE TABLE IF NOT EXISTS {_q(table.table)} ({columns}, PRIMARY KEY ({keys}))"
            )
            missing = self._missing_columns(cur, table)
            if missing:
                raise DeterministicFailure(
                    f"the target table {table.table} has no column {', '.join(missing)}: "
                    "add it or map to the table as it is"
                )
            cur.execute("SELECT to_regclass(%s)", (_q(table.staging),))
            row = cur.fetchone()
            if row is None or row[0] is None:
                cur.execute(
                    f"CREATE TABLE {_q(table.staging)} (LIKE {_q(table.table)} INCLUDING DEFAULTS)"
                )

    def _missing_columns(self, cur: psycopg.Cursor[Any], table: TargetTable) -> list[str]:
        cur.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0"
            " AND NOT attisdropped",
            (_q(table.table),),
        )
        have = {r[0] for r in cur.fetchall()}
        return [n for n in table.names if n not in have]

    # -- staging ---------------------------------------------------------------------------

    def stage_chunk(
        self, table: TargetTable, chunk_id: int, content_hash: str, frame: pl.DataFrame
    ) -> bool:
        payload = render_csv(frame.select(table.names))
        names = ", ".join(_q(n) for n in table.names)
        with self._tx(f"staging chunk {chunk_id} of {table.table}") as cur:
            cur.execute(
                f"INSERT INTO {CHUNKS_TABLE} (migration_id, chunk_id, content_hash, rows)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING 1",
                (table.migration_id, chunk_id, content_hash, frame.height),
            )
            if cur.fetchone() is None:
                return False
            with cur.copy(f"COPY {_q(table.staging)} ({names}) FROM STDIN (FORMAT csv)") as copy:
                step = 1 << 20
                for i in range(0, len(payload), step):
                    copy.write(payload[i : i + step])
        return True

    def staged_chunks(self, table: TargetTable) -> dict[int, StagedChunk]:
        if self._scalar("SELECT to_regclass(%s)", (CHUNKS_TABLE,)) is None:
            return {}
        with self._tx("reading staged chunks") as cur:
            cur.execute(
                f"SELECT chunk_id, content_hash, rows FROM {CHUNKS_TABLE} WHERE migration_id = %s",
                (table.migration_id,),
            )
            return {r[0]: StagedChunk(r[1], r[2]) for r in cur.fetchall()}

    def final_rows(self, table_name: str) -> int:
        if self._scalar("SELECT to_regclass(%s)", (_q(table_name),)) is None:
            return 0
        return int(self._scalar(f"SELECT count(*) FROM {_q(table_name)}"))

    def staged_rows(self, table: TargetTable) -> int:
        return int(self._scalar(f"SELECT count(*) FROM {_q(table.staging)}"))

    def staged_sums(self, table: TargetTable, columns: Sequence[str]) -> dict[str, Decimal]:
        if not columns:
            return {}
        sums = ", ".join(f"coalesce(sum({_q(c)}), 0)" for c in columns)
        with self._tx("summing staged columns") as cur:
            cur.execute(f"SELECT {sums} FROM {_q(table.staging)}")
            row = cur.fetchone()
        assert row is not None
        return {c: Decimal(str(v)) for c, v in zip(columns, row, strict=True)}

    def duplicate_keys(self, table: TargetTable) -> list[tuple[Any, ...]]:
        keys = ", ".join(_q(k) for k in table.keys)
        with self._tx("finding duplicate keys") as cur:
            cur.execute(
                f"SELECT {keys} FROM {_q(table.staging)} GROUP BY {keys} HAVING count(*) > 1"
            )
            return [tuple(r) for r in cur.fetchall()]

    def _foreign_keys(
        self, cur: psycopg.Cursor[Any], name: str
    ) -> list[tuple[str, str, list[tuple[str, str]]]]:
        """The foreign keys declared on ``name``: (constraint, referenced table, column pairs)."""
        cur.execute(
            """
            SELECT c.conname, c.confrelid::regclass::text,
                   array_agg(a.attname ORDER BY k.i), array_agg(fa.attname ORDER BY k.i)
            FROM pg_constraint c
            CROSS JOIN LATERAL unnest(c.conkey, c.confkey) WITH ORDINALITY AS k(col, fcol, i)
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.col
            JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = k.fcol
            WHERE c.contype = 'f' AND c.conrelid = %s::regclass
            GROUP BY c.conname, c.confrelid
            """,
            (_q(name),),
        )
        return [(r[0], r[1], list(zip(r[2], r[3], strict=True))) for r in cur.fetchall()]

    def fk_violations(self, table: TargetTable) -> list[tuple[tuple[Any, ...], str]]:
        keys = ", ".join(f"s.{_q(k)}" for k in table.keys)
        found: list[tuple[tuple[Any, ...], str]] = []
        with self._tx("checking foreign keys") as cur:
            for _name, referenced, pairs in self._foreign_keys(cur, table.table):
                present = " AND ".join(f"s.{_q(c)} IS NOT NULL" for c, _ in pairs)
                match = " AND ".join(f"r.{_q(f)} = s.{_q(c)}" for c, f in pairs)
                what = (
                    ", ".join(c for c, _ in pairs)
                    + f" -> {referenced}("
                    + ", ".join(f for _, f in pairs)
                    + ")"
                )
                cur.execute(
                    f"SELECT {keys} FROM {_q(table.staging)} s WHERE {present} AND NOT EXISTS "
                    f"(SELECT 1 FROM {referenced} r WHERE {match})"
                )
                found.extend((tuple(r), what) for r in cur.fetchall())
        return found

    def remove_staged(self, table: TargetTable, keys: Sequence[tuple[Any, ...]]) -> int:
        if not keys:
            return 0
        cols = ", ".join(_q(k) for k in table.keys)
        marks = ", ".join(["%s"] * len(table.keys))
        with self._tx("removing quarantined rows from staging") as cur:
            cur.executemany(
                f"DELETE FROM {_q(table.staging)} WHERE ({cols}) = ({marks})", list(keys)
            )
            return len(keys)

    # -- promoting -------------------------------------------------------------------------

    def _swappable(self, cur: psycopg.Cursor[Any], table: TargetTable) -> str | None:
        """Why the final table cannot be swapped out, or None when it can (empty, plain)."""
        cur.execute(f"SELECT EXISTS (SELECT 1 FROM {_q(table.table)})")
        if cur.fetchone() == (True,):
            return "it holds rows"
        cur.execute("SELECT %s::regclass::oid", (_q(table.table),))
        found = cur.fetchone()
        assert found is not None
        oid = int(found[0])
        checks = {
            "it has grants": f"SELECT relacl IS NOT NULL FROM pg_class WHERE oid = {oid}",
            "it is not a plain table": "SELECT relkind <> 'r' OR relhassubclass"
            f" OR relrowsecurity FROM pg_class WHERE oid = {oid}",
            "it has triggers": "SELECT EXISTS (SELECT 1 FROM pg_trigger"
            f" WHERE tgrelid = {oid} AND NOT tgisinternal)",
            "foreign keys point at it": "SELECT EXISTS (SELECT 1 FROM pg_constraint"
            f" WHERE confrelid = {oid})",
            "views depend on it": "SELECT EXISTS (SELECT 1 FROM pg_depend d JOIN pg_rewrite w"
            f" ON w.oid = d.objid WHERE d.refobjid = {oid} AND w.ev_class <> {oid})",
            "it inherits": f"SELECT EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = {oid})",
        }
        for reason, sql in checks.items():
            cur.execute(sql)
            if cur.fetchone() == (True,):
                return reason
        cur.execute(
            "SELECT count(*) FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0"
            " AND NOT attisdropped",
            (_q(table.table),),
        )
        row = cur.fetchone()
        if row is None or row[0] != len(table.names):
            return "it has columns Migration does not write"
        return None

    def _copy_structure(self, table: TargetTable) -> list[tuple[str, str, str]]:
        """Give staging the final table's indexes and constraints, built after the load (the fast
        order); returns the (kind, staging name, final name) pairs to rename at the swap."""
        renames: list[tuple[str, str, str]] = []
        final, stg = _q(table.table), _q(table.staging)
        with self._tx(f"indexing the staging table of {table.table}") as cur:
            cur.execute(
                "SELECT conname, contype, pg_get_constraintdef(oid), conindid <> 0"
                " FROM pg_constraint WHERE conrelid = %s::regclass"
                " AND contype IN ('p','u','c','f','x')"
                " ORDER BY contype = 'f', conname",
                (final,),
            )
            constraints = cur.fetchall()
            cur.execute(
                "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x"
                " JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = %s::regclass"
                " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
                (final,),
            )
            indexes = cur.fetchall()
            cur.execute("SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass", (stg,))
            have = {r[0] for r in cur.fetchall()}
            for n, (name, _kind, definition, _indexed) in enumerate(constraints):
                temp = f"{table.staging}_c{n}"
                if temp not in have:
                    cur.execute(f"ALTER TABLE {stg} ADD CONSTRAINT {_q(temp)} {definition}")
                renames.append(("constraint", temp, name))
            for n, (name, definition) in enumerate(indexes):
                temp = f"{table.staging}_i{n}"
                head, _, rest = definition.partition(" ON ")
                _, _, columns = rest.partition(" USING ")
                unique = "UNIQUE " if head.startswith("CREATE UNIQUE") else ""
                cur.execute(
                    f"CREATE {unique}INDEX IF NOT EXISTS {_q(temp)} ON {stg} USING {columns}"
                )
                renames.append(("index", temp, name))
        return renames

    def promote(
        self, table: TargetTable, chunks: Mapping[int, str], fault: Fault = no_fault
    ) -> Promotion:
        with self._tx(f"checking {table.table}") as cur:
            why_not = self._swappable(cur, table)
        rows = self.staged_rows(table)
        if why_not is None:
            renames = self._copy_structure(table)
            with self._tx(f"promoting into {table.table}") as cur:
                cur.execute(f"LOCK TABLE {_q(table.table)} IN ACCESS EXCLUSIVE MODE")
                if self._swappable(cur, table) is None:
                    cur.execute(f"DROP TABLE {_q(table.table)}")
                    fault("promote.after_drop")
                    cur.execute(f"ALTER TABLE {_q(table.staging)} RENAME TO {_q(table.table)}")
                    for kind, temp, name in renames:
                        if kind == "constraint":
                            cur.execute(
                                f"ALTER TABLE {_q(table.table)} RENAME CONSTRAINT"
                                f" {_q(temp)} TO {_q(name)}"
                            )
                        else:
                            cur.execute(f"ALTER INDEX {_q(temp)} RENAME TO {_q(name)}")
                    self._record(cur, table, chunks)
                    fault("promote.before_commit")
                    return Promotion("swap", rows, rows)
        return self._upsert(table, chunks, rows, fault)

    def _upsert(
        self, table: TargetTable, chunks: Mapping[int, str], rows: int, fault: Fault
    ) -> Promotion:
        names = ", ".join(_q(n) for n in table.names)
        keys = ", ".join(_q(k) for k in table.keys)
        rest = [n for n in table.names if n not in table.keys]
        if rest:
            sets = ", ".join(f"{_q(n)} = EXCLUDED.{_q(n)}" for n in rest)
            old = ", ".join(f"t.{_q(n)}" for n in rest)
            new = ", ".join(f"EXCLUDED.{_q(n)}" for n in rest)
            action = f"DO UPDATE SET {sets} WHERE ({old}) IS DISTINCT FROM ({new})"
        else:
            action = "DO NOTHING"
        with self._tx(f"promoting into {table.table}") as cur:
            cur.execute(f"LOCK TABLE {_q(table.table)} IN SHARE ROW EXCLUSIVE MODE")
            cur.execute(
                f"INSERT INTO {_q(table.table)} AS t ({names}) SELECT {names} "
                f"FROM {_q(table.staging)} ON CONFLICT ({keys}) {action}"
            )
            changed = cur.rowcount
            fault("promote.after_upsert")
            self._record(cur, table, chunks)
            fault("promote.before_commit")
        return Promotion("upsert", rows, changed)

    def _record(
        self, cur: psycopg.Cursor[Any], table: TargetTable, chunks: Mapping[int, str]
    ) -> None:
        cur.execute(f"DELETE FROM {PROMOTED_TABLE} WHERE table_name = %s", (table.table,))
        cur.executemany(
            f"INSERT INTO {PROMOTED_TABLE} (table_name, chunk_id, content_hash)"
            " VALUES (%s, %s, %s)",
            [(table.table, c, h) for c, h in sorted(chunks.items())],
        )

    def promoted_chunks(self, table_name: str) -> dict[int, str]:
        if self._scalar("SELECT to_regclass(%s)", (PROMOTED_TABLE,)) is None:
            return {}
        with self._tx("reading promoted chunks") as cur:
            cur.execute(
                f"SELECT chunk_id, content_hash FROM {PROMOTED_TABLE} WHERE table_name = %s",
                (table_name,),
            )
            return {r[0]: r[1] for r in cur.fetchall()}

    def drop_staging(self, table: TargetTable) -> None:
        with self._tx(f"dropping the staging of {table.table}") as cur:
            cur.execute(f"DROP TABLE IF EXISTS {_q(table.staging)}")
            cur.execute(
                f"DELETE FROM {CHUNKS_TABLE} WHERE migration_id = %s", (table.migration_id,)
            )

    def checksum(self, table_name: str, keys: Sequence[str]) -> tuple[int, str]:
        order = ", ".join(_q(k) for k in keys)
        digest, rows = hashlib.sha256(), 0
        with self._tx(f"checksumming {table_name}") as cur:
            with cur.copy(
                f"COPY (SELECT * FROM {_q(table_name)} ORDER BY {order}) TO STDOUT (FORMAT csv)"
            ) as copy:
                for block in copy:
                    digest.update(block)
                    rows += bytes(block).count(b"\n")
        return rows, digest.hexdigest()
