"""Throughput of compiled DSL pipelines against the same transforms written by hand.

A mapping of six ops over ``--rows`` generated rows (default 5,000,000):

- ``payee``: trim, then case (upper)
- ``posted_on``: regex_extract (the date of a timestamp string), then date_parse
- ``amount``: type_cast to decimal(12,2), then safe_math (* 1.1, scale 2)

Polars: the compiled ``pl.Expr`` against hand-written Polars expressions; DuckDB: the compiled
SQL against hand-written SQL. Each side runs ``--repeat`` times, best time kept, in the same run.
The ratio is compiled rows/s over hand-written rows/s (target >= 0.9). The hand-written versions
are what an engineer would write for these columns with each engine's native functions. They do
not have the DSL's cross-engine semantics (ASCII-only case, strict shapes, half-away-from-zero
rounding, NULL on overflow), so the bench also counts the output values on which they differ.

Usage: python bench/dsl_throughput.py [--rows 5000000] [--repeat 3]
Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import duckdb  # noqa: E402
import polars as pl  # noqa: E402

from dsl.compile.polars import compile_polars  # noqa: E402
from dsl.compile.sql import compile_sql  # noqa: E402
from dsl.pipeline import Pipeline, validate_pipeline  # noqa: E402

PIPELINES = [
    {
        "inputs": ["payee"],
        "output": "payee",
        "ops": [{"op": "trim"}, {"op": "case", "to": "upper"}],
    },
    {
        "inputs": ["ts"],
        "output": "posted_on",
        "ops": [
            {"op": "regex_extract", "pattern": "^([0-9]{4}-[0-9]{2}-[0-9]{2})", "group": 1},
            {"op": "date_parse", "formats": ["%Y-%m-%d"]},
        ],
    },
    {
        "inputs": ["amount"],
        "output": "amount",
        "ops": [
            {"op": "type_cast", "to": "decimal(12,2)"},
            {"op": "safe_math", "operator": "mul", "operand": "1.1", "scale": 2},
        ],
    },
]


def generate(rows: int, seed: int = 7) -> pl.DataFrame:
    rng = random.Random(seed)
    names = [f"  {rng.choice(['acme', 'blue bottle', 'delta', 'uber'])} {i}\t" for i in range(997)]
    stamps = [
        f"2026-{rng.randint(1, 12):02}-{rng.randint(1, 28):02}T{rng.randint(0, 23):02}:00:00Z"
        for _ in range(991)
    ]
    amounts = [f"{rng.uniform(-5000, 5000):.3f}" for _ in range(983)]
    idx = pl.int_range(0, rows, eager=True)
    return pl.DataFrame(
        {
            "payee": pl.Series(names).gather(idx % len(names)),
            "ts": pl.Series(stamps).gather((idx * 7) % len(stamps)),
            "amount": pl.Series(amounts).gather((idx * 13) % len(amounts)),
        }
    )


def handwritten_polars() -> list[pl.Expr]:
    return [
        pl.col("payee").str.strip_chars().str.to_uppercase().alias("payee"),
        pl.col("ts")
        .str.extract(r"^(\d{4}-\d{2}-\d{2})", 1)
        .str.strptime(pl.Date, "%Y-%m-%d", strict=False)
        .alias("posted_on"),
        (pl.col("amount").cast(pl.Decimal(12, 2), strict=False) * Decimal("1.1"))
        .round(2)
        .alias("amount"),
    ]


HANDWRITTEN_SQL = """
SELECT upper(trim(payee)) AS payee,
       try_strptime(regexp_extract(ts, '^(\\d{4}-\\d{2}-\\d{2})', 1), '%Y-%m-%d')::DATE
           AS posted_on,
       round(try_cast(amount AS DECIMAL(12, 2)) * 1.1, 2) AS amount
FROM src
"""


def best(fn: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    pipelines: list[Pipeline] = [validate_pipeline(p) for p in PIPELINES]
    frame = generate(args.rows)

    compiled = [compile_polars(p) for p in pipelines]
    polars_dsl = best(lambda: frame.lazy().select(compiled).collect(), args.repeat)
    polars_hand = best(lambda: frame.lazy().select(handwritten_polars()).collect(), args.repeat)
    ours = frame.lazy().select(compiled).collect()
    theirs = frame.lazy().select(handwritten_polars()).collect()
    differing = {
        c: int((ours[c].cast(pl.String) != theirs[c].cast(pl.String)).fill_null(True).sum())
        - int((ours[c].is_null() & theirs[c].is_null()).sum())
        for c in ours.columns
    }

    con = duckdb.connect()
    with tempfile.TemporaryDirectory() as tmp:  # no pyarrow: hand the data over as Parquet
        parquet = Path(tmp) / "src.parquet"
        frame.write_parquet(parquet)
        con.execute(f"CREATE TABLE src AS SELECT * FROM read_parquet('{parquet}')")
    selects = ", ".join(
        f'{compile_sql(p, "duckdb").sql(dialect="duckdb")} AS "{p.output}"' for p in pipelines
    )
    dsl_sql = f"CREATE OR REPLACE TABLE out_dsl AS SELECT {selects} FROM src"
    hand_sql = f"CREATE OR REPLACE TABLE out_hand AS {HANDWRITTEN_SQL}"
    duck_dsl = best(lambda: con.execute(dsl_sql), args.repeat)
    duck_hand = best(lambda: con.execute(hand_sql), args.repeat)

    ops = sum(len(p.ops) for p in pipelines)
    result = {
        "bench": "dsl_throughput",
        "rows": args.rows,
        "ops": ops,
        "polars": {
            "dsl_rows_per_s": round(args.rows / polars_dsl),
            "handwritten_rows_per_s": round(args.rows / polars_hand),
            "ratio": round(polars_hand / polars_dsl, 3),
            "values_differing_from_handwritten": differing,
        },
        "duckdb": {
            "dsl_rows_per_s": round(args.rows / duck_dsl),
            "handwritten_rows_per_s": round(args.rows / duck_hand),
            "ratio": round(duck_hand / duck_dsl, 3),
        },
        "target_ratio": 0.9,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
