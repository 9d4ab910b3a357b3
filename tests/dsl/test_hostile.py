"""Hostile input: patterns built to backtrack are refused; accepted patterns on 1 MB strings
run in under a second on every backend that can run them."""

from __future__ import annotations

import time
from typing import Any

import pytest

from dsl.errors import DslError, NotExpressible
from dsl.pipeline import validate_pipeline
from dsl.validate_all import run_polars, run_sql

MB = 1_000_000
LIMIT_S = 1.0


@pytest.mark.parametrize(
    "pattern", ["(a+)+$", "(a|a)*b", "(a|aa)+$", "^(a+)+$", "(a*)*b", "(x+x+)+y", "(\\w+\\s?)+$"]
)
def test_backtracking_patterns_are_refused(pattern: str) -> None:
    doc = {
        "inputs": ["s"],
        "output": "o",
        "ops": [{"op": "regex_extract", "pattern": pattern, "group": 0}],
    }
    with pytest.raises(DslError) as info:
        validate_pipeline(doc)
    assert info.value.code == "DSL_REJECT" and info.value.pointer == "/ops/0/pattern"


# (name, ops, 1 MB input, expected output): inputs that make a backtracking search quadratic.
CASES: list[tuple[str, list[dict[str, Any]], str, Any]] = [
    (
        "unanchored run that fails late",
        [{"op": "regex_extract", "pattern": "([a-z]+)[0-9]"}],
        "a" * MB,
        None,
    ),
    (
        "anchored at the end",
        [{"op": "regex_extract", "pattern": "(a+)$", "group": 1}],
        "a" * MB + "!",
        None,
    ),
    (
        "anchored run that fails late",
        [{"op": "regex_extract", "pattern": "^([a-z]+)[0-9]"}],
        "a" * MB,
        None,
    ),
    (
        "split on a long separator run",
        [{"op": "regex_split", "pattern": ",+", "index": 1}],
        "x" + "," * MB,
        "",
    ),
    ("collapse whitespace", [{"op": "collapse_whitespace"}], " \t" * (MB // 2) + "x", " x"),
    ("trim", [{"op": "trim"}], " " * MB + "x" + "\t" * MB, "x"),
    ("decimal cast of a long number", [{"op": "type_cast", "to": "decimal(12,2)"}], "1" * MB, None),
    (
        "date parse of a long digit run",
        [{"op": "date_parse", "formats": ["%Y%m%d"]}],
        "2" * MB,
        None,
    ),
]


@pytest.mark.parametrize(("name", "ops", "value", "expected"), CASES, ids=[c[0] for c in CASES])
def test_megabyte_inputs_run_fast(
    name: str, ops: list[dict[str, Any]], value: str, expected: Any, engines: dict[str, Any]
) -> None:
    pipeline = validate_pipeline({"inputs": ["s"], "output": "o", "ops": ops})
    rows = [{"s": value}]
    timings: dict[str, float] = {}
    start = time.perf_counter()
    assert run_polars(pipeline, rows) == [expected]
    timings["polars"] = time.perf_counter() - start
    for dialect, conn in engines.items():
        start = time.perf_counter()
        try:
            got = run_sql(pipeline, rows, dialect, conn)  # type: ignore[arg-type]
        except NotExpressible:
            assert dialect in ("mysql", "sqlite"), f"{dialect} must run {name}"
            continue
        timings[dialect] = time.perf_counter() - start
        assert got == [expected], dialect
    assert {"polars", "duckdb", "postgres"} <= set(timings)
    slow = {k: round(v, 3) for k, v in timings.items() if v >= LIMIT_S}
    assert slow == {}, f"over {LIMIT_S}s: {slow} (all: {timings})"
