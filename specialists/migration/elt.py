"""ELT: the accepted pipelines compiled to SQL and run inside the PostgreSQL database that holds
both the source table and the target (§14). No row leaves the server.

**When** (``elt_refusal``, called by pre-flight): the source is a table of the target's database,
every standardization and mapping pipeline compiles for PostgreSQL, every input is text to the
pipelines, and every source column it reads has a type whose text form in PostgreSQL is the one
Ingest saw through the driver (text, varchar, the integer types, numeric, date). Anything else
runs as ETL, and the reason is recorded.

**Chunks** are key ranges: the source's key columns (the ones the target key is made from) in
the database's order, cut every ``batch_size`` rows at distinct key values, so rows with one key
always fall in one chunk. Chunk ``i < n`` holds the keys in ``[bound[i-1], bound[i])``; the last
chunk holds the rows with a NULL key column (they are quarantined as ``KEY_NULL``). With an index
on the key each chunk is an index range scan.

**A chunk**, in one transaction on the target connection:

1. the chunk's rows, standardized and transformed by the compiled pipelines, go into a temporary
   table with a flag per failure (a NULL output for present inputs, a NULL key, a key twice);
2. the content hash is SHA-256, computed by the server, over the kept rows' target columns as
   PostgreSQL's row text, in key order; the money sums come from the same table;
3. the failing rows come back to Python, where the Policy Engine masks their previews
   (:func:`specialists.migration.chunks._quarantine`, as for ETL);
4. unless the chunk is a no-op, its marker row and ``INSERT .. SELECT`` of the kept rows into the
   staging table commit together, exactly as the ETL path's marker and COPY do.

Validation and promotion are the same code for both strategies.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.errors import DeterministicFailure

if TYPE_CHECKING:
    import psycopg

    from dsl.pipeline import Pipeline
    from specialists.migration.chunks import ChunkOutcome, Masker, QuarantineRow
    from specialists.migration.spec import MigrationSpec, SourceSpec
    from specialists.migration.targets.base import Target
    from specialists.migration.targets.postgres import PostgresTarget

__all__ = ["elt_chunk_count", "elt_refusal", "plain_insert_select", "stage_chunk_elt"]

#: Source column types whose ``::text`` equals what the driver hands Ingest (``str(value)``).
TEXT_SAFE_TYPES = frozenset(
    {"text", "character varying", "smallint", "integer", "bigint", "numeric", "date"}
)
#: The whitespace Ingest strips from every standardized value (``shim.apply_plan``).
_STRIP = "E' \\t\\n\\r\\f' || chr(11)"
_PREFIX = "__conduit_"
_BOUNDS: dict[str, list[tuple[Any, ...]]] = {}
_BOUNDS_LOCK = threading.Lock()
_PLANS: dict[str, _Plan] = {}


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _source_columns(url: str, table: str) -> dict[str, str]:
    import psycopg

    from specialists.migration.targets.postgres import conninfo

    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT attname, format_type(atttypid, NULL) FROM pg_attribute"
            " WHERE attrelid = to_regclass(%s) AND attnum > 0 AND NOT attisdropped",
            (_q(table),),
        ).fetchall()
    return {r[0]: r[1] for r in rows}


def _compiled(doc: Mapping[str, Any]) -> str:
    from dsl.compile.sql import compile_sql
    from dsl.pipeline import validate_pipeline

    return str(compile_sql(validate_pipeline(dict(doc)), "postgres").sql(dialect="postgres"))


def elt_refusal(source: SourceSpec, pipelines: Mapping[str, Mapping[str, Any]]) -> str | None:
    """Why these pipelines cannot run as ELT on this source (``None``: they can)."""
    from dsl.errors import NotExpressible
    from dsl.pipeline import validate_pipeline

    try:
        columns = _source_columns(source.location, source.table)
    except Exception as e:  # noqa: BLE001 - any failure to look means: do not run ELT
        return f"the source table's column types could not be read: {type(e).__name__}"
    if not columns:
        return f"the source table {source.table} is not visible to the target's connection"
    if any(c.startswith(_PREFIX) for c in columns):
        return f"a source column name starts with {_PREFIX}, which ELT uses for its own columns"
    used: set[str] = set()
    for name, doc in pipelines.items():
        pipeline = validate_pipeline(dict(doc))
        for i in pipeline.inputs:
            if i.type != "string":
                return f"the pipeline of {name} reads {i.name} as {i.type}, not as text"
            used.add(i.name)
        try:
            _compiled(doc)
        except NotExpressible as e:
            return f"the pipeline of {name} does not compile for PostgreSQL: {e.message}"
    for column in sorted(used):
        kind = columns.get(column)
        if kind is None:
            return f"the source table has no column {column}"
        if kind not in TEXT_SAFE_TYPES:
            return (
                f"the source column {column} is {kind}, whose text form in PostgreSQL differs "
                "from the one Ingest read through the driver"
            )
    for column, doc in source.standardization.get("columns", {}).items():
        if column in used:
            try:
                _compiled(doc)
            except NotExpressible as e:
                return f"the standardization of {column} does not compile: {e.message}"
    return None


@dataclass(frozen=True)
class _Plan:
    """The SQL of one migration's chunks, built once from its spec."""

    key_sources: list[str]  # source key columns, in order
    used: list[str]  # every source column a pipeline reads
    outputs: list[str]  # target columns with a pipeline, in target order
    select: str  # the chunk's rows with flags; ``{where}`` is the key range
    transformed: str  # the rows standardized and transformed, without the flags


def _stepped(
    levels: list[list[str]], pipelines: list[tuple[Pipeline, list[str], str]]
) -> list[str]:
    """Each pipeline's ops as query levels (``compile_sql_steps``): op ``k`` of every pipeline
    joins level ``k`` of ``levels`` (extended as needed); returns each pipeline's output
    expression, read in the level after the last."""
    from sqlglot import exp

    from dsl.compile.sql import compile_sql_steps

    start = len(levels)
    outputs = []
    for n, (pipeline, inputs, tag) in enumerate(pipelines):

        def name(k: int, j: int, n: int = n, tag: str = tag) -> str:
            return f"{_PREFIX}{tag}{n}_{k}_{j}"

        refs = [exp.column(c, quoted=True) for c in inputs]
        steps = compile_sql_steps(pipeline, "postgres", refs, name)
        for k, step in enumerate(steps):
            while len(levels) <= start + k:
                levels.append([])
            levels[start + k] += [
                f"{e.sql(dialect='postgres')} AS {_q(name(k, j))}" for j, e in enumerate(step)
            ]
        outputs.append(_q(name(len(steps) - 1, 0)) if steps else _q(inputs[0]))
    return outputs


def _nest(source: str, levels: list[list[str]]) -> str:
    """``source`` wrapped in one ``SELECT *, <level> FROM (..) OFFSET 0`` per level."""
    query = source
    for n, level in enumerate(levels):
        query = f"SELECT *, {', '.join(level)} FROM ({query}) l{n} OFFSET 0"
    return query


def _plan(spec: MigrationSpec) -> _Plan:
    """The migration's chunk SQL, built once per process and migration (see ``_build``)."""
    with _BOUNDS_LOCK:
        plan = _PLANS.get(spec.migration_id)
        if plan is None:
            _PLANS.clear()
            plan = _PLANS[spec.migration_id] = _build(spec)
        return plan


def _build(spec: MigrationSpec) -> _Plan:
    """Query levels (``OFFSET 0`` keeps the planner from merging them, so each op's value is
    computed once per row): the chunk's source columns as text ``r<j>`` (the key range is on
    the typed columns), the standardization's ops, the standardized columns named as the source
    names them, the pipelines' ops, their outputs ``o<i>``, then the flags: ``f<i>`` failed
    transform, ``kn`` NULL key, ``dp`` duplicate key, and ``bad``. Merged, every reference to a
    value pastes its whole expression again, and the work per row grows with the product of
    the ops (measured: minutes for a thousand rows)."""
    from dsl.pipeline import validate_pipeline
    from specialists.mapping.execute import combines_missing
    from specialists.migration.chunks import spec_pipelines

    pipelines = spec_pipelines(spec)
    outputs = [c["name"] for c in spec.columns if c["name"] in pipelines]
    key_sources = list(dict.fromkeys(spec.key_strategy["source_columns"]))
    used = list(
        dict.fromkeys([*key_sources, *(i.name for p in pipelines.values() for i in p.inputs)])
    )
    std = spec.source.standardization.get("columns", {})
    raw = {c: f"{_PREFIX}r{j}" for j, c in enumerate(used)}
    source = (
        f"SELECT {', '.join(f'{_q(c)}::text AS {_q(raw[c])}' for c in used)}"
        f" FROM {_q(spec.source.table)} WHERE {{where}} OFFSET 0"
    )
    levels: list[list[str]] = []
    with_std = [c for c in used if c in std]
    std_out = _stepped(levels, [(validate_pipeline(dict(std[c])), [raw[c]], "s") for c in with_std])
    converted = dict(zip(with_std, std_out, strict=True))
    named = []
    for c in used:
        trimmed = f"btrim({_q(raw[c])}, {_STRIP})"
        value = f"coalesce({converted[c]}, {trimmed})" if c in converted else trimmed
        named.append(f"{value} AS {_q(c)}")
    levels.append(named)
    out_exprs = _stepped(
        levels, [(pipelines[n], [i.name for i in pipelines[n].inputs], "p") for n in outputs]
    )
    o = {name: f"{_PREFIX}o{i}" for i, name in enumerate(outputs)}
    levels.append([f"{e} AS {o[n]}" for n, e in zip(outputs, out_exprs, strict=True)])
    transformed = _nest(source, levels)
    flags = []
    for i, name in enumerate(outputs):
        ins = [f"{_q(x.name)} IS NOT NULL" for x in pipelines[name].inputs]
        present = " OR ".join(ins) if combines_missing(pipelines[name]) else " AND ".join(ins)
        flags.append(f"({o[name]} IS NULL AND ({present})) AS {_PREFIX}f{i}")
    keys = [o[k] for k in spec.keys]
    flags.append(f"({' OR '.join(f'{k} IS NULL' for k in keys)}) AS {_PREFIX}kn")
    flags.append(
        f"(count(*) OVER (PARTITION BY {', '.join(keys)}) > 1"
        f" AND NOT ({' OR '.join(f'{k} IS NULL' for k in keys)})) AS {_PREFIX}dp"
    )
    bad = " OR ".join(
        [f"{_PREFIX}f{i}" for i in range(len(outputs))] + [f"{_PREFIX}kn", f"{_PREFIX}dp"]
    )
    kept = ", ".join([*(_q(c) for c in used), *o.values()])
    select = (
        f"SELECT *, ({bad}) AS {_PREFIX}bad FROM ("
        f"SELECT {kept}, {', '.join(flags)} FROM ({transformed}) t) f"
    )
    return _Plan(key_sources, used, outputs, select, transformed)


def plain_insert_select(spec: MigrationSpec, table: str) -> str:
    """The whole source transformed by the same compiled pipelines into ``table`` in one
    ``INSERT .. SELECT``: no chunks, flags, hashes or staging (``bench/migrate.py``'s baseline)."""
    plan = _plan(spec)
    names = ", ".join(_q(n) for n in plan.outputs)
    outputs = ", ".join(f"{_PREFIX}o{i}" for i in range(len(plan.outputs)))
    return (
        f"INSERT INTO {_q(table)} ({names}) SELECT {outputs} FROM ("
        + plan.transformed.replace("{where}", "TRUE")
        + ") t"
    )


def _bounds(conn: psycopg.Connection[Any], spec: MigrationSpec) -> list[tuple[Any, ...]]:
    """The key values that start chunks 1.. (cached per process and migration)."""
    with _BOUNDS_LOCK:
        if spec.migration_id in _BOUNDS:
            return _BOUNDS[spec.migration_id]
        keys = ", ".join(_q(k) for k in dict.fromkeys(spec.key_strategy["source_columns"]))
        not_null = " AND ".join(
            f"{_q(k)} IS NOT NULL" for k in dict.fromkeys(spec.key_strategy["source_columns"])
        )
        rows = conn.execute(
            f"SELECT DISTINCT {keys} FROM (SELECT {keys}, row_number() OVER (ORDER BY {keys}) AS rn"
            f" FROM {_q(spec.source.table)} WHERE {not_null}) b"
            f" WHERE rn > 1 AND (rn - 1) % {int(spec.batch_size)} = 0 ORDER BY {keys}"
        ).fetchall()
        _BOUNDS.clear()
        _BOUNDS[spec.migration_id] = [tuple(r) for r in rows]
        return _BOUNDS[spec.migration_id]


def elt_chunk_count(target: Target, spec: MigrationSpec) -> int:
    """Chunks of an ELT migration: one per key range, and the last for NULL keys."""
    return len(_bounds(_postgres(target).conn, spec)) + 2


def _postgres(target: Target) -> PostgresTarget:
    from specialists.migration.targets.postgres import PostgresTarget

    if not isinstance(target, PostgresTarget):
        raise DeterministicFailure("an ELT migration needs its PostgreSQL target")
    return target


def _range(
    conn: psycopg.Connection[Any],
    spec: MigrationSpec,
    chunk_id: int,
    bounds: Sequence[tuple[Any, ...]],
) -> str:
    """Chunk ``chunk_id``'s key range as a condition; the bounds are rendered as SQL literals
    by the driver (so the compiled pipelines' text never meets placeholders)."""
    from psycopg import sql

    keys = [_q(k) for k in dict.fromkeys(spec.key_strategy["source_columns"])]
    row = f"({', '.join(keys)})"

    def literal(values: tuple[Any, ...]) -> str:
        return "(" + ", ".join(sql.Literal(v).as_string(conn) for v in values) + ")"

    if chunk_id == len(bounds) + 1:
        return " OR ".join(f"{k} IS NULL" for k in keys)
    where = [f"{k} IS NOT NULL" for k in keys]
    if chunk_id > 0:
        where.append(f"{row} >= {literal(bounds[chunk_id - 1])}")
    if chunk_id < len(bounds):
        where.append(f"{row} < {literal(bounds[chunk_id])}")
    return " AND ".join(where)


def stage_chunk_elt(
    spec: MigrationSpec,
    chunk_id: int,
    target: Target,
    promoted: Mapping[int, str],
    mask: Masker,
) -> ChunkOutcome:
    """One ELT chunk (module docstring), in one transaction on the target."""
    from specialists.migration.chunks import ChunkOutcome
    from specialists.migration.targets.base import CHUNKS_TABLE

    target = _postgres(target)
    plan = _plan(spec)
    where = _range(target.conn, spec, chunk_id, _bounds(target.conn, spec))
    table = spec.table()
    o = [f"{_PREFIX}o{i}" for i in range(len(plan.outputs))]
    money = [c for c in spec.money_columns if c in plan.outputs]
    order = ", ".join(o[plan.outputs.index(k)] for k in spec.keys)
    kept = f"FILTER (WHERE NOT {_PREFIX}bad)"
    with target.transaction(f"migrating chunk {chunk_id} of {table.table} in the database") as cur:
        cur.execute(
            f"CREATE TEMP TABLE {_PREFIX}chunk ON COMMIT DROP AS "
            + plan.select.replace("{where}", where)
        )
        sums = "".join(f", sum({o[plan.outputs.index(c)]}) {kept}" for c in money)
        cur.execute(
            f"SELECT count(*), count(*) {kept}{sums},"
            f" encode(sha256(convert_to(coalesce(string_agg(ROW({', '.join(o)})::text, E'\\n'"
            f" ORDER BY {order}) {kept}, ''), 'UTF8')), 'hex') FROM {_PREFIX}chunk"
        )
        stats = cur.fetchone()
        assert stats is not None
        rows_in, rows_out, content_hash = int(stats[0]), int(stats[1]), str(stats[-1])
        totals = {c: str(v) for c, v in zip(money, stats[2:-1], strict=True)}
        held = _held_rows(spec, plan, cur, mask) if rows_in != rows_out else []
        noop = spec.kind == "migrate" and promoted.get(chunk_id) == content_hash
        if not noop:
            cur.execute(
                f"INSERT INTO {CHUNKS_TABLE} (migration_id, chunk_id, content_hash, rows)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING 1",
                (table.migration_id, chunk_id, content_hash, rows_out),
            )
            if cur.fetchone() is not None:
                names = ", ".join(_q(n) for n in plan.outputs)
                cur.execute(
                    f"INSERT INTO {_q(table.staging)} ({names}) SELECT {', '.join(o)}"
                    f" FROM {_PREFIX}chunk WHERE NOT {_PREFIX}bad"
                )
    return ChunkOutcome(content_hash, rows_in, rows_out, held, totals, noop)


def _held_rows(
    spec: MigrationSpec, plan: _Plan, cur: psycopg.Cursor[Any], mask: Masker
) -> list[QuarantineRow]:
    """The chunk's failing rows as quarantine records, masked as the ETL path masks them."""
    import polars as pl

    from specialists.migration.chunks import quarantine_records, spec_pipelines, spec_schema

    n = len(plan.outputs)
    out_cols = [f"{_PREFIX}o{i}::text" for i in range(n)]
    flag_cols = [f"{_PREFIX}f{i}" for i in range(n)] + [f"{_PREFIX}kn", f"{_PREFIX}dp"]
    order = ", ".join(_q(c) for c in plan.used)
    cur.execute(
        f"SELECT {', '.join([*(_q(c) for c in plan.used), *out_cols, *flag_cols])}"
        f" FROM {_PREFIX}chunk WHERE {_PREFIX}bad ORDER BY {order}"
    )
    rows = cur.fetchall()
    u = len(plan.used)
    source = pl.DataFrame(
        {c: pl.Series(c, [r[j] for r in rows], dtype=pl.Utf8) for j, c in enumerate(plan.used)}
    )
    out = pl.DataFrame(
        {
            c: pl.Series(c, [r[u + j] for r in rows], dtype=pl.Utf8)
            for j, c in enumerate(plan.outputs)
        }
    )
    flag = [pl.Series([bool(r[u + n + j]) for r in rows], dtype=pl.Boolean) for j in range(n + 2)]
    schema = spec_schema(spec)
    try:
        return quarantine_records(
            source,
            out,
            spec,
            spec_pipelines(spec),
            {c.name: c.family for c in schema.columns},
            mask,
            {name: flag[j] for j, name in enumerate(plan.outputs)},
            flag[n],
            flag[n + 1],
        )
    except KeyError as e:  # a column the quarantine record needs is missing: a bug, say so
        raise DeterministicFailure(f"ELT quarantine lost the column {e}") from e
