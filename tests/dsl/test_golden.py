"""Golden cases: every op on every backend against values written by hand from the docstrings.

Each file in ``golden/`` is one op family; each case is ``{name, pipeline, rows, expected}``.
A case runs through ``validate_all`` on Polars and the four SQL engines; every backend that can
express the pipeline must give exactly ``expected`` (PostgreSQL and DuckDB must express them all).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from dsl.ops import ALL_OPS
from dsl.pipeline import Pipeline, output_type, validate_pipeline
from dsl.types import DType, parse_type
from dsl.validate_all import normalize, validate_all

GOLDEN = Path(__file__).parent / "golden"
FAMILIES = ("string", "mapping", "numeric", "temporal", "cast")
FAMILY_OPS = {
    "string": {"trim", "case", "collapse_whitespace", "regex_extract", "regex_split", "concat"},
    "mapping": {"map_dict"},
    "numeric": {"unit_convert", "safe_math"},
    "temporal": {"date_parse", "date_format"},
    "cast": {"type_cast"},
}
#: Backends that must run every op exactly (the others may decline with NotExpressible).
FULL_BACKENDS = ("postgres", "duckdb")


def _load(family: str) -> list[dict[str, Any]]:
    cases = yaml.safe_load((GOLDEN / f"{family}.yaml").read_text(encoding="utf-8"))
    assert isinstance(cases, list), family
    return [{**case, "family": family} for case in cases]


CASES = [case for family in FAMILIES for case in _load(family)]


def _input_value(value: Any, dtype: DType) -> Any:
    """A YAML row value as the Python value of its input column's type."""
    if value is None:
        return None
    if dtype.kind == "decimal":
        return Decimal(str(value))
    if dtype.kind == "date":
        return dt.date.fromisoformat(str(value))
    if dtype.kind == "timestamp":
        return dt.datetime.fromisoformat(str(value))
    return value


def _rows(pipeline: Pipeline, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    types = {i.name: parse_type(i.type) for i in pipeline.inputs}
    return [{name: _input_value(row.get(name), types[name]) for name in types} for row in rows]


def _expected(values: list[Any], dtype: DType) -> list[Any]:
    """Hand-written values in the comparable form of ``dsl.validate_all.normalize``."""
    if dtype.kind == "decimal":
        return [None if v is None else Decimal(v).normalize() for v in values]
    return [normalize(v, dtype) for v in values]


def test_golden_files_are_well_formed() -> None:
    names = Counter(case["name"] for case in CASES)
    assert [n for n, count in names.items() if count > 1] == []
    assert len(CASES) >= 60
    for family in FAMILIES:
        cases = [c for c in CASES if c["family"] == family]
        assert len(cases) >= 8, family
        used = {op["op"] for c in cases for op in c["pipeline"]["ops"]}
        assert FAMILY_OPS[family] <= used, (family, FAMILY_OPS[family] - used)
    assert set().union(*FAMILY_OPS.values()) == set(ALL_OPS)
    for case in CASES:
        assert set(case) == {"name", "family", "pipeline", "rows", "expected"}, case["name"]
        assert len(case["rows"]) == len(case["expected"]) > 0, case["name"]


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_golden_case_types(case: dict[str, Any]) -> None:
    """Guards against YAML surprises: strings stay strings, decimals are written as strings."""
    pipeline = validate_pipeline(case["pipeline"])
    types = {i.name: parse_type(i.type) for i in pipeline.inputs}
    for row in case["rows"]:
        assert set(row) <= set(types), row
        for name, value in row.items():
            if value is not None and types[name].kind in ("string", "decimal", "date"):
                assert isinstance(value, str), (name, value)
    kind = output_type(pipeline).kind
    python_type = {"string": str, "decimal": str, "date": str, "timestamp": str}.get(kind)
    python_type = python_type or {"integer": int, "boolean": bool, "float": float}[kind]
    for value in case["expected"]:
        assert value is None or type(value) is python_type, (value, kind)


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_golden_case(case: dict[str, Any], engines: dict[str, Any]) -> None:
    pipeline = validate_pipeline(case["pipeline"])
    out_type = output_type(pipeline)
    expected = _expected(case["expected"], out_type)

    outcome = validate_all(pipeline, _rows(pipeline, case["rows"]), connections=engines)

    for backend in FULL_BACKENDS:
        assert backend not in outcome.not_expressible, outcome.not_expressible[backend]
        assert backend in outcome.outputs
    assert "polars" in outcome.outputs
    wrong = {
        backend: [
            (case["rows"][i], want, got)
            for i, (want, got) in enumerate(zip(expected, values, strict=True))
            if want != got
        ]
        for backend, values in outcome.outputs.items()
        if values != expected
    }
    assert wrong == {}, "(input, expected, got) per backend:\n" + "\n".join(
        f"  {backend}: {diff}" for backend, diff in wrong.items()
    )
