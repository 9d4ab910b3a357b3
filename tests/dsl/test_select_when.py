"""select_when (§35): off unless its feature flag is on; with it, the same values everywhere."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsl.errors import DslError
from dsl.pipeline import validate_pipeline
from dsl.validate_all import validate_all

ON = frozenset({"select_when"})
DATES = {
    "op": "select_when",
    "regex": "^[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}$",
    "then": [{"op": "date_parse", "formats": ["%m/%d/%Y"]}],
    "otherwise": [{"op": "date_parse", "formats": ["%Y-%m-%d"]}],
}


def _doc(op: dict[str, Any]) -> dict[str, Any]:
    return {"inputs": ["s"], "output": "out", "ops": [{"op": "trim"}, op]}


def test_off_by_default() -> None:
    with pytest.raises(DslError) as info:
        validate_pipeline(_doc(DATES))
    assert info.value.code == "DSL_REJECT"
    assert (info.value.op_index, info.value.pointer, info.value.column) == (1, "/ops/1/op", "out")
    assert "feature flag" in info.value.message
    assert validate_pipeline(_doc(DATES), features=ON).ops[1].tag() == "select_when"


@pytest.mark.parametrize(
    ("op", "pointer"),
    [
        ({**DATES, "regex": "(a|ab)"}, "/ops/1/regex"),
        ({**DATES, "then": [{"op": "regex_extract", "pattern": "(?=x)"}]}, "/ops/1/then/0/pattern"),
        ({**DATES, "then": [{"op": "trim", "side": "middle"}]}, "/ops/1/then/0/side"),
        ({**DATES, "otherwise": []}, "/ops/1/otherwise"),
        ({**DATES, "then": [DATES]}, "/ops/1/then/0/op"),
    ],
    ids=[
        "ambiguous regex",
        "nested bad regex",
        "nested bad argument",
        "branch types differ",
        "nesting",
    ],
)
def test_problems_are_located(op: dict[str, Any], pointer: str) -> None:
    with pytest.raises(DslError) as info:
        validate_pipeline(_doc(op), features=ON)
    assert info.value.pointer == pointer and info.value.op_index == 1


BRANCHES = [
    [{"op": "case", "to": "upper"}],
    [{"op": "case", "to": "lower"}, {"op": "collapse_whitespace"}],
    [{"op": "regex_extract", "pattern": "^([0-9]+)"}],
    [{"op": "map_dict", "mapping": {"a": "x"}, "keep_unmapped": True}],
]
cases = st.tuples(
    st.sampled_from(["^[0-9]", "^[a-z]+$", "^ab", "^[A-Z][a-z]*"]),
    st.sampled_from(BRANCHES),
    st.sampled_from([[], *BRANCHES]),
    st.lists(
        st.one_of(st.none(), st.text(alphabet=st.sampled_from(list("aAbZ09 \tx-é")), max_size=10)),
        min_size=1,
        max_size=10,
    ),
)


def test_backends_agree(engines: dict[str, Any]) -> None:
    @settings(max_examples=200, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
    @given(cases)
    def run(case: tuple[str, list[Any], list[Any], list[str | None]]) -> None:
        regex, then, otherwise, values = case
        op = {"op": "select_when", "regex": regex, "then": then, "otherwise": otherwise}
        pipeline = validate_pipeline(_doc(op), features=ON)
        outcome = validate_all(pipeline, [{"s": v} for v in values], connections=engines)
        assert {"polars", "duckdb", "postgres"} <= set(outcome.outputs)
        assert outcome.disagreements == []

    run()
