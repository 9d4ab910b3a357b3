"""Property tests: every op gives identical values, NULLs included, on Polars, DuckDB and
PostgreSQL, and on MariaDB and SQLite where it is expressible (at least 200 examples per op)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from dsl.ops import ALL_OPS
from dsl.pipeline import validate_pipeline
from dsl.validate_all import validate_all
from tests.dsl.strategies import STRATEGIES, Case

EXAMPLES = 200
MUST_RUN = {"polars", "duckdb", "postgres"}


def check(case: Case, engines: dict[str, Any]) -> None:
    doc, rows = case
    pipeline = validate_pipeline(doc)
    outcome = validate_all(pipeline, rows, connections=engines)
    assert MUST_RUN <= set(outcome.outputs), outcome.not_expressible
    assert outcome.disagreements == [], (doc, outcome.disagreements[:3])


def test_every_op_has_a_strategy() -> None:
    assert set(STRATEGIES) == set(ALL_OPS)


@pytest.mark.parametrize("op", ALL_OPS)
def test_backends_agree(op: str, engines: dict[str, Any]) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(STRATEGIES[op])
    def run(case: Case) -> None:
        check(case, engines)

    run()
