"""Cross-backend equivalence of the Transform DSL, at volume.

Draws ``--examples`` generated (pipeline, rows) cases, spread evenly over the twelve ops, runs
each on Polars, DuckDB, the embedded PostgreSQL, the machine's MariaDB and SQLite (where the op
is expressible), and counts rows on which any backend disagrees with Polars. Target: 0.

Usage: python bench/dsl_equivalence.py [--examples 5000]
Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402

from dsl.ops import ALL_OPS  # noqa: E402
from dsl.pipeline import validate_pipeline  # noqa: E402
from dsl.validate_all import validate_all  # noqa: E402
from tests.dsl.strategies import STRATEGIES, Case  # noqa: E402


def _engines(home: Path) -> dict[str, Any]:
    import duckdb
    import psycopg
    import pymysql

    from core.db import open_database
    from core.settings import Settings

    db = open_database(Settings(home=home), migrate=False)
    # A connection of its own, in autocommit mode: never one borrowed from the store's pool,
    # which would go back to the pool still in autocommit mode.
    pg = psycopg.connect(db.engine.url.set(drivername="postgresql").render_as_string(False))
    pg.autocommit = True
    engines: dict[str, Any] = {
        "duckdb": duckdb.connect(),
        "postgres": pg,
        "sqlite": sqlite3.connect(":memory:"),
    }
    try:
        my = pymysql.connect(host="127.0.0.1", user="root", autocommit=True, charset="utf8mb4")
        with my.cursor() as cur:
            cur.execute("CREATE DATABASE IF NOT EXISTS conduit_dsl_bench")
            cur.execute("USE conduit_dsl_bench")
        engines["mysql"] = my
    except pymysql.err.OperationalError as e:
        print(f"MariaDB unavailable, left out: {e}", file=sys.stderr)
    return engines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=5000)
    args = parser.parse_args()
    base, extra = divmod(args.examples, len(ALL_OPS))
    quota = {op: base + (1 if i < extra else 0) for i, op in enumerate(ALL_OPS)}
    with tempfile.TemporaryDirectory(prefix="cdb-", dir="/tmp") as home:
        engines = _engines(Path(home))
        examples: Counter[str] = Counter()
        rows: Counter[str] = Counter()
        disagreements: Counter[str] = Counter()
        ran_on: dict[str, Counter[str]] = {}
        first: list[Any] = []
        start = time.perf_counter()

        def runner(op: str) -> Any:
            ran = ran_on.setdefault(op, Counter())

            @settings(
                max_examples=max(1, quota[op]),
                deadline=None,
                database=None,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(STRATEGIES[op])
            def run(case: Case) -> None:
                doc, data = case
                outcome = validate_all(validate_pipeline(doc), data, connections=engines)
                examples[op] += 1
                rows[op] += len(data)
                ran.update(list(outcome.outputs))
                disagreements[op] += len(outcome.disagreements)
                if outcome.disagreements and len(first) < 5:
                    first.append({"pipeline": doc, "rows": outcome.disagreements[:2]})

            return run

        for op in ALL_OPS:
            runner(op)()
        seconds = time.perf_counter() - start
        for conn in engines.values():
            conn.close()
    if first:
        print(json.dumps(first, default=str), file=sys.stderr)
    result = {
        "bench": "dsl_equivalence",
        "examples": sum(examples.values()),
        "rows": sum(rows.values()),
        "disagreements": sum(disagreements.values()),
        "by_op": {
            op: {
                "examples": examples[op],
                "disagreements": disagreements[op],
                "backends": dict(ran_on[op]),
            }
            for op in ALL_OPS
        },
        "engines": sorted(["polars", *engines]),
        "seconds": round(seconds, 1),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
