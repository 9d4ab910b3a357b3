"""Regressions for defects a code review found: each case once gave different values on
different engines, raised, or wrapped around."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from dsl.compile.sql import compile_sql
from dsl.errors import DslError
from dsl.pipeline import validate_pipeline
from dsl.validate_all import validate_all


def _doc(ops: list[dict[str, Any]], inputs: list[Any] | None = None) -> dict[str, Any]:
    return {"inputs": inputs or ["s"], "output": "o", "ops": ops}


@pytest.mark.parametrize(
    ("ops", "inputs"),
    [
        ([{"op": "safe_math", "operator": "div", "operand": "0.000000000000000001", "scale": 18}],
         [{"name": "a", "type": "integer"}]),
        ([{"op": "safe_math", "operator": "add"}],
         [{"name": "a", "type": "decimal(38,0)"}, {"name": "b", "type": "decimal(38,0)"}]),
        ([{"op": "safe_math", "operator": "mul", "operand": "1.5", "scale": 2}],
         [{"name": "a", "type": "decimal(38,10)"}]),
        ([{"op": "unit_convert", "from_unit": "m", "to_unit": "ft"}],
         [{"name": "a", "type": "decimal(30,2)"}]),
        ([{"op": "safe_math", "operator": "mul", "operand": "0.999999999999999999"}],
         [{"name": "a", "type": "decimal(30,21)"}]),
    ],
    ids=["div past 128 bits", "add past 38", "mul past 38", "units past 38", "scale past 38"],
)  # fmt: skip
def test_arithmetic_beyond_38_digits_is_refused(
    ops: list[dict[str, Any]], inputs: list[Any]
) -> None:
    with pytest.raises(DslError, match="digits exactly") as info:
        validate_pipeline(_doc(ops, inputs))
    assert info.value.code == "DSL_REJECT" and info.value.op_index == 0


def test_results_are_typed_narrowly_enough_to_chain() -> None:
    ops = [
        {"op": "unit_convert", "from_unit": "lb", "to_unit": "kg", "scale": 3},
        {"op": "safe_math", "operator": "mul", "operand": "1.5"},
    ]
    validate_pipeline(_doc(ops, [{"name": "w", "type": "integer"}]))


@pytest.mark.parametrize("fmt", ["%Y-%m-%d %H", "%Y-%m-%d %M", "%Y-%m-%d %S"])
def test_hour_and_minute_come_together(fmt: str) -> None:
    with pytest.raises(DslError, match="%H and %M together"):
        validate_pipeline(_doc([{"op": "date_parse", "formats": [fmt], "to": "timestamp"}]))


def test_group_skipped_by_the_last_repetition_is_refused() -> None:
    with pytest.raises(DslError, match="every repetition"):
        validate_pipeline(_doc([{"op": "regex_extract", "pattern": "^(?:(a)|b)*c"}]))
    validate_pipeline(_doc([{"op": "regex_extract", "pattern": "^(?:(a)b)*c"}]))


def test_postgres_compares_and_maps_case_bytewise() -> None:
    for ops in ([{"op": "case", "to": "upper"}], [{"op": "map_dict", "mapping": {"i": "x"}}]):
        assert 'COLLATE "C"' in compile_sql(validate_pipeline(_doc(ops)), "postgres").sql(
            "postgres"
        )


def test_fractional_seconds_are_floored(engines: dict[str, Any]) -> None:
    pipeline = validate_pipeline(
        _doc([{"op": "date_format", "format": "%H:%M:%S"}], [{"name": "t", "type": "timestamp"}])
    )
    rows = [{"t": dt.datetime(2024, 1, 1, 10, 0, 59, 700000)}]
    outcome = validate_all(pipeline, rows, connections=engines)
    assert outcome.ok and outcome.outputs["postgres"] == ["10:00:59"]


def test_decimal_to_integer_uses_the_64_bit_range(engines: dict[str, Any]) -> None:
    pipeline = validate_pipeline(
        _doc([{"op": "type_cast", "to": "integer"}], [{"name": "x", "type": "decimal(38,2)"}])
    )
    rows = [{"x": Decimal("1000000000000000000")}, {"x": Decimal("9223372036854775808")}]
    outcome = validate_all(pipeline, rows, connections=engines)
    assert outcome.ok and outcome.outputs["polars"] == [10**18, None]


def test_parentheses_around_multibyte_text(engines: dict[str, Any]) -> None:
    """MariaDB's LENGTH counts bytes: '(£164)' once lost its parentheses there."""
    fmt = {"thousands": ".", "decimal": ",", "currency": ["€", "£"]}
    pipeline = validate_pipeline(_doc([{"op": "type_cast", "to": "float", "number_format": fmt}]))
    rows = [{"s": "(£164)"}, {"s": "(€1.234,5)"}, {"s": "(é)"}]
    outcome = validate_all(pipeline, rows, connections=engines)
    assert outcome.ok and "mysql" in outcome.outputs
    assert outcome.outputs["mysql"] == [-164.0, -1234.5, None]
