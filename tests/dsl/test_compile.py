"""Every op compiles for Polars, PostgreSQL and DuckDB; the (op, dialect) pairs that do not
compile elsewhere are exactly the documented ones; identifiers are quoted, never pasted."""

from __future__ import annotations

from typing import Any

import pytest

from dsl.compile import polars as polars_compiler
from dsl.compile import previews
from dsl.compile import sql as sql_compiler
from dsl.compile.dialects import DIALECTS
from dsl.compile.polars import compile_polars
from dsl.compile.sql import compile_sql
from dsl.errors import NotExpressible
from dsl.ops import ALL_OPS, FLAGGED_OPS, OP_CLASSES
from dsl.pipeline import validate_pipeline
from dsl.validate_all import validate_all

SAMPLES: dict[str, dict[str, Any]] = {
    "trim": {"inputs": ["s"], "ops": [{"op": "trim"}]},
    "case": {"inputs": ["s"], "ops": [{"op": "case", "to": "upper"}]},
    "collapse_whitespace": {"inputs": ["s"], "ops": [{"op": "collapse_whitespace"}]},
    "regex_extract": {"inputs": ["s"], "ops": [{"op": "regex_extract", "pattern": "([0-9]+)"}]},
    "regex_split": {"inputs": ["s"], "ops": [{"op": "regex_split", "pattern": ",", "index": 1}]},
    "concat": {"inputs": ["a", "b"], "ops": [{"op": "concat", "separator": " "}]},
    "map_dict": {"inputs": ["s"], "ops": [{"op": "map_dict", "mapping": {"a": "b"}}]},
    "unit_convert": {
        "inputs": [{"name": "x", "type": "decimal(12,2)"}],
        "ops": [{"op": "unit_convert", "from_unit": "lb", "to_unit": "kg"}],
    },
    "date_parse": {"inputs": ["s"], "ops": [{"op": "date_parse", "formats": ["%m/%d/%Y"]}]},
    "date_format": {
        "inputs": [{"name": "d", "type": "date"}],
        "ops": [{"op": "date_format", "format": "%Y-%m-%d"}],
    },
    "type_cast": {"inputs": ["s"], "ops": [{"op": "type_cast", "to": "decimal(12,2)"}]},
    "safe_math": {
        "inputs": [{"name": "x", "type": "decimal(12,2)"}],
        "ops": [{"op": "safe_math", "operator": "div", "operand": "3"}],
    },
}

# (op, dialect) pairs with no exact SQL form, for the samples above. MariaDB runs user regexes
# only when they are anchored with ^ (PCRE2 search is quadratic otherwise) and has no 128-bit
# division; SQLite has no regexes and no exact decimals; Snowflake and BigQuery get only the
# ops whose SQL is standard, since they cannot be executed here.
NOT_EXPRESSIBLE = {
    "mysql": {"regex_extract", "regex_split", "safe_math"},
    "sqlite": {
        "collapse_whitespace",
        "regex_extract",
        "regex_split",
        "unit_convert",
        "date_parse",
        "date_format",
        "type_cast",
        "safe_math",
    },
    "snowflake": set(ALL_OPS) - {"trim", "case", "concat", "map_dict"},
    "bigquery": set(ALL_OPS) - {"trim", "case", "concat", "map_dict"},
}


def _pipeline(op: str) -> Any:
    return validate_pipeline({**SAMPLES[op], "output": "out"})


def test_samples_cover_every_op() -> None:
    assert set(SAMPLES) == set(ALL_OPS)


@pytest.mark.parametrize("module", [sql_compiler, polars_compiler], ids=["sql", "polars"])
def test_every_op_has_a_compiler(module: Any) -> None:
    assert set(module.TRANSFORMS) == set(OP_CLASSES) | set(FLAGGED_OPS.values())


@pytest.mark.parametrize("op", ALL_OPS)
def test_compiles_for_polars_postgres_duckdb(op: str) -> None:
    pipeline = _pipeline(op)
    assert compile_polars(pipeline) is not None
    for dialect in ("postgres", "duckdb"):
        assert compile_sql(pipeline, dialect).sql(dialect=dialect)


def test_not_expressible_pairs_are_the_documented_ones() -> None:
    found: dict[str, set[str]] = {}
    for dialect in DIALECTS:
        for op in ALL_OPS:
            try:
                compile_sql(_pipeline(op), dialect)
            except NotExpressible as e:
                assert e.code == "DSL_REJECT" and dialect in e.message
                found.setdefault(dialect, set()).add(op)
    assert found == NOT_EXPRESSIBLE


def test_anchored_regex_runs_on_mariadb() -> None:
    pipeline = validate_pipeline(
        {"inputs": ["s"], "output": "o", "ops": [{"op": "regex_extract", "pattern": "^([0-9]+)"}]}
    )
    assert "REGEXP_REPLACE" in compile_sql(pipeline, "mysql").sql(dialect="mysql")


def test_previews_show_every_backend() -> None:
    shown = previews(_pipeline("regex_extract"))
    assert set(shown) == {"polars", "postgres", "duckdb", "mysql", "sqlite"}
    assert shown["postgres"].startswith("SELECT") and '"out"' in shown["postgres"]
    assert shown["mysql"].startswith("-- regex_extract is not expressible in mysql")
    assert "str.extract" in shown["polars"]


HOSTILE = ['x"; DROP TABLE t; --', "col with spaces", "Ünïcødé", "a'b", "select"]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_identifiers_are_quoted(name: str, engines: dict[str, Any]) -> None:
    pipeline = validate_pipeline(
        {
            "inputs": [name],
            "output": name + "_out",
            "ops": [{"op": "trim"}, {"op": "case", "to": "upper"}],
        }
    )
    outcome = validate_all(pipeline, [{name: " ab "}, {name: None}], connections=engines)
    assert outcome.ok and {"postgres", "duckdb", "mysql", "sqlite"} <= set(outcome.outputs)
    assert outcome.outputs["postgres"] == ["AB", None]
