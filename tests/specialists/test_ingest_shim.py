"""The standardization shim: one validated DSL pipeline per column, applied without loss, and the
same values on DuckDB as in Polars."""

from __future__ import annotations

import duckdb
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from dsl.compile.sql import select_sql
from dsl.pipeline import validate_pipeline
from specialists.ingest.catalog import catalog_table
from specialists.ingest.shim import apply_plan, standardization_plan

ROWS = 60


def _frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "txn_id": [f" {1000 + i} " for i in range(ROWS)],
            "amount": ["1,234.50", "-2.00"] * (ROWS // 2),
            "posted": ["01/02/2026", "3/4/2026"] * (ROWS // 2),
            "booked_at": ["2026-01-02 03:04:05"] * ROWS,
            "cleared": ["Yes", "N"] * (ROWS // 2),
            "rate": ["1.5e3"] * ROWS,
            "memo": ["  Card   purchase\t", None] * (ROWS // 2),
        }
    )


def test_every_type_gets_its_pipeline_and_canonical_text() -> None:
    frame = _frame()
    table = catalog_table("t", frame, list(frame.columns))
    types = {c.name: c.type for c in table.columns}
    assert types == {
        "txn_id": "integer",
        "amount": "decimal(6,2)",
        "posted": "date",
        "booked_at": "timestamp",
        "cleared": "boolean",
        "rate": "float",
        "memo": "string",
    }
    plan = standardization_plan(table)
    out, kept = apply_plan(frame, plan)
    assert out.row(1, named=True) == {
        "txn_id": "1001",
        "amount": "-2.00",
        "posted": "2026-03-04",
        "booked_at": "2026-01-02 03:04:05",
        "cleared": "false",
        "rate": "1.5e3",
        "memo": None,
    }
    # Ends are trimmed; interior whitespace is data and stays (a two-line street keeps its line).
    assert out["amount"][0] == "1234.50" and out["memo"][0] == "Card   purchase"
    assert set(kept.values()) == {0}
    assert plan["headers"]["txn_id"] == "txn_id" and len(plan["hash"]) == 64


def test_the_plan_is_hashed_and_deterministic() -> None:
    frame = _frame()
    table = catalog_table("t", frame, list(frame.columns))
    assert standardization_plan(table) == standardization_plan(table)
    other = catalog_table("t", frame.drop("rate"), [c for c in frame.columns if c != "rate"])
    assert standardization_plan(other)["hash"] != standardization_plan(table)["hash"]


def test_outliers_keep_their_text_and_are_counted() -> None:
    frame = pl.DataFrame({"amount": ["12.50"] * 99 + ["n/a"]})
    out, kept = apply_plan(frame, standardization_plan(catalog_table("t", frame, ["amount"])))
    assert out["amount"][-1] == "n/a" and kept == {"amount": 1}


def test_the_plan_runs_on_duckdb_with_the_same_values() -> None:
    frame = _frame()
    plan = standardization_plan(catalog_table("t", frame, list(frame.columns)))
    polars_out, _ = apply_plan(frame, plan)
    con = duckdb.connect()
    con.execute(f"CREATE TABLE source ({', '.join(f'{c} VARCHAR' for c in frame.columns)})")
    con.executemany(
        f"INSERT INTO source VALUES ({', '.join('?' for _ in frame.columns)})", frame.rows()
    )
    for name, doc in plan["columns"].items():
        if name == "rate":
            continue  # trim only: a float keeps its text
        sql = select_sql(validate_pipeline(doc), "duckdb", "source")
        got = [r[0] for r in con.execute(sql).fetchall()]
        assert got == polars_out[name].to_list(), name


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=12)), min_size=1, max_size=30))
def test_standardizing_never_loses_a_value(values: list[str | None]) -> None:
    frame = pl.DataFrame({"v": values}, schema={"v": pl.Utf8})
    out, _ = apply_plan(frame, standardization_plan(catalog_table("t", frame, ["v"])))
    assert out.height == frame.height
    assert out["v"].null_count() == frame["v"].null_count()
