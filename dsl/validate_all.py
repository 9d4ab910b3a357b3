"""Run one pipeline on every executable backend and compare the values, like sqlglot's
``Validator.validate_all``: Polars, DuckDB, and (when given) PostgreSQL, MariaDB and SQLite.

Rows are loaded into a real (temporary) table on each engine, so nothing is constant-folded, and
the compiled ``SELECT`` runs there. Values are compared after a normalization that removes only
representation: decimals by value (``12.50`` == ``12.5``), dates and timestamps as ISO text,
SQLite's text dates and integer booleans as their values.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlglot import exp

from dsl.compile.dialects import DIALECTS, DialectName
from dsl.compile.polars import compile_polars
from dsl.compile.sql import compile_sql
from dsl.errors import NotExpressible
from dsl.pipeline import Pipeline, output_type
from dsl.types import DType, parse_type

__all__ = ["Outcome", "run_polars", "run_sql", "validate_all", "normalize"]


@dataclass
class Outcome:
    """Each backend's output column, the backends that could not run it, and disagreements."""

    outputs: dict[str, list[Any]] = field(default_factory=dict)
    not_expressible: dict[str, str] = field(default_factory=dict)
    disagreements: list[tuple[int, dict[str, Any]]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.disagreements


def _sql_type(dtype: DType, dialect: str) -> str:
    if dtype.kind == "decimal":
        return "TEXT" if dialect == "sqlite" else f"DECIMAL({dtype.precision}, {dtype.scale})"
    return {
        "string": "LONGTEXT" if dialect == "mysql" else "TEXT",  # MariaDB's TEXT stops at 64 KB
        "integer": "BIGINT",
        "float": "DOUBLE PRECISION" if dialect == "postgres" else "DOUBLE",
        "boolean": "BOOLEAN",
        "date": "DATE",
        "timestamp": "DATETIME" if dialect == "mysql" else "TIMESTAMP",
    }[dtype.kind]


def normalize(value: Any, dtype: DType) -> Any:
    """One comparable form per value of ``dtype`` (see the module docstring)."""
    if value is None:
        return None
    if dtype.kind == "decimal":
        return Decimal(str(value)).normalize()
    if dtype.kind == "boolean":
        return bool(value)
    if dtype.kind == "integer":
        return int(value)
    if dtype.kind == "float":
        return float(value)
    if dtype.kind == "date":
        return value.isoformat() if isinstance(value, dt.date) else str(value)[:10]
    if dtype.kind == "timestamp":
        if isinstance(value, dt.datetime):
            return value.replace(tzinfo=None).isoformat(sep=" ")
        return str(value).replace("T", " ")
    return value


def run_polars(pipeline: Pipeline, rows: Sequence[dict[str, Any]]) -> list[Any]:
    import polars as pl

    schema: dict[str, Any] = {}
    for column in pipeline.inputs:
        t = parse_type(column.type)
        schema[column.name] = {
            "string": pl.String,
            "integer": pl.Int64,
            "float": pl.Float64,
            "boolean": pl.Boolean,
            "date": pl.Date,
            "timestamp": pl.Datetime("us"),
        }.get(t.kind) or pl.Decimal(t.precision, t.scale)
    frame = pl.DataFrame([dict(r) for r in rows], schema=schema, orient="row")
    result: list[Any] = frame.select(compile_polars(pipeline)).to_series().to_list()
    return result


def run_sql(
    pipeline: Pipeline, rows: Sequence[dict[str, Any]], dialect: DialectName, connection: Any
) -> list[Any]:
    """Load ``rows`` into a temporary table over a DB-API ``connection`` and run the pipeline."""

    def q(name: str) -> str:  # quoted and escaped by sqlglot, never pasted raw
        return exp.to_identifier(name, quoted=True).sql(dialect=dialect)

    table_name = f"dsl_{uuid.uuid4().hex[:12]}"
    table = q(table_name)
    names = [c.name for c in pipeline.inputs]
    cols = ", ".join(
        f"{q(c.name)} {_sql_type(parse_type(c.type), dialect)}" for c in pipeline.inputs
    )
    order = q("_row")
    temp = "TEMPORARY " if dialect != "duckdb" else "TEMP "
    cursor = connection.cursor()
    # Raising NotExpressible before anything is created keeps the connection clean.
    compile_sql(pipeline, dialect)
    cursor.execute(f"CREATE {temp}TABLE {table} ({order} INTEGER, {cols})")
    marker = "?" if dialect in ("duckdb", "sqlite") else "%s"
    placeholders = ", ".join([marker] * (len(names) + 1))
    insert = f"INSERT INTO {table} VALUES ({placeholders})"
    cursor.executemany(insert, [[i, *[r.get(n) for n in names]] for i, r in enumerate(rows)])
    expression = compile_sql(pipeline, dialect)
    query = (
        exp.select(exp.alias_(expression, "out", quoted=True))
        .from_(exp.Table(this=exp.to_identifier(table_name, quoted=True)))
        .order_by(exp.column("_row", quoted=True))
    )
    try:
        cursor.execute(query.sql(dialect=dialect))
        return [row[0] for row in cursor.fetchall()]
    finally:
        cursor.execute(f"DROP TABLE {table}")


def validate_all(
    pipeline: Pipeline,
    rows: Sequence[dict[str, Any]],
    *,
    connections: dict[DialectName, Any] | None = None,
) -> Outcome:
    """Run ``pipeline`` over ``rows`` on Polars and each SQL connection given; compare."""
    out_type = output_type(pipeline)
    outcome = Outcome()
    outcome.outputs["polars"] = [normalize(v, out_type) for v in run_polars(pipeline, rows)]
    for dialect, conn in (connections or {}).items():
        if not DIALECTS[dialect].executed:
            continue
        try:
            values = run_sql(pipeline, rows, dialect, conn)
        except NotExpressible as e:
            outcome.not_expressible[dialect] = e.message
            continue
        outcome.outputs[dialect] = [normalize(v, out_type) for v in values]
    reference = outcome.outputs["polars"]
    for i, expected in enumerate(reference):
        row = {name: values[i] for name, values in outcome.outputs.items()}
        if any(v != expected for v in row.values()):
            outcome.disagreements.append((i, {"input": dict(rows[i]), **row}))
    return outcome
