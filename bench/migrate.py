"""Migration throughput into PostgreSQL: Conduit's ETL against plain Polars + COPY of the same rows.

Generates a bank-transaction CSV of ``--rows`` rows for the example's target schema, creates a
real run on it (Ingest, Domains, Mapping, Analysis with the embedded defaults; not timed), then
times, side by side on the machine's PostgreSQL (``--target``, default the local ``test``
database):

- ``baseline``: the plain way: read the file as Ingest reads it, run the run's accepted
  pipelines in Polars, write CSV and ``COPY`` it into a logged table with its primary key, one
  transaction, no checkpoints;
- ``etl``: ``conduit migrations start --promote``'s path: pre-flight, deterministic chunks of
  ``migration.batch_size`` rows, per-chunk transform, quarantine checks, content hash, COPY into
  a keyless staging table with the chunk's marker, checkpoints in the control plane, validation
  (row count, checksums, foreign keys, money reconciliation), promotion (swap-on-empty).

and for ELT, the same rows as a raw landing table (text columns, primary key on the
transaction id) in a database of its own on the same server, the target in that database:

- ``baseline``: one plain ``INSERT .. SELECT`` of the run's compiled pipelines (the same SQL
  ELT runs, via ``specialists.migration.elt.plain_insert_select``) into a logged table with its
  primary key, one transaction;
- ``elt``: the ELT path: key-range chunks, flags, server-side SHA-256, marker, staging,
  validation and promotion.

The ELT run is planned on the first ``--plan-rows`` rows (Ingest reads a SQL table whole through
the driver, which is not what this bench measures); the table is then filled to ``--rows``
before both timings. The last line is JSON.
Run: ``python bench/migrate.py [--rows 5000000] [--workers 2]``.
"""

from __future__ import annotations

import argparse
import faulthandler
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EXAMPLE = ROOT / "examples" / "bank_transactions"


def _generate(path: Path, rows: int) -> None:
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(7)

    def pick(values: list[str], seed: int) -> pl.Series:
        return pl.Series(values).sample(rows, with_replacement=True, seed=seed)

    days = pl.date_range(pl.date(2025, 1, 1), pl.date(2025, 12, 31), eager=True)
    frame = pl.DataFrame(
        {
            "Transaction ID": "T" + pl.Series(np.arange(rows)).cast(pl.Utf8).str.zfill(9),
            "Posted Date": days.sample(rows, with_replacement=True, seed=7).dt.strftime("%Y-%m-%d"),
            "Payee": pick(["Ana Lopez", "Bo Chen", "Cleo Diaz", "Dev Patel"], 8),
            "Email": pick(["ana@example.com", "bo@example.org", "cleo@example.net"], 9),
            "Amount": pl.Series(rng.integers(-500_000, 500_000, rows) / 100).cast(pl.Utf8),
            "Currency": pick(["USD", "EUR"], 10),
            "Description": "CARD PURCHASE "
            + pl.Series(rng.integers(0, 10_000, rows)).cast(pl.Utf8),
            "Category": pick(["groceries", "travel", "rent", "fees"], 11),
        }
    )
    frame.write_csv(path)


def _run(
    db: Any, folder: Path, source: Path | str, target_url: str, table: str, sql: bool = False
) -> str:
    import yaml

    from core.profiles import bundled_profiles
    from policy.manifest import current_manifest
    from supervisor.graph import GraphContext, resume_run, start_run
    from supervisor.reference import store_profile
    from supervisor.runs import create_run

    [base] = [p for p in bundled_profiles() if p.profile_id == "tp_default_v2"]
    profile = base.model_copy(
        update={
            "profile_id": "tp_bench_migrate",
            "domaining": base.domaining.model_copy(update={"borderline_share_max": 1.0}),
        }
    )
    with db.begin() as conn:
        store_profile(conn, profile)
    schema = yaml.safe_load((EXAMPLE / "target_schema.yaml").read_text())
    schema["table"] = table
    (folder / "schema.yaml").write_text(yaml.safe_dump(schema))
    doc = yaml.safe_load((EXAMPLE / "contract.yaml").read_text())
    doc |= {"threshold_profile_id": "tp_bench_migrate", "human_confirm_required": True}
    doc["lhs"] = {"source": {"type": "sql" if sql else "file"}, "location": str(source)}
    doc["rhs"] |= {"location": target_url, "schema_ref": str(folder / "schema.yaml")}
    doc["audit_tags"] = ["bench", str(time.time())]
    run_id = create_run(db, doc).run.run_id
    ctx = GraphContext(db=db, manifest=current_manifest(), pii_key=b"b" * 32, base=folder)
    state = start_run(ctx, run_id)
    while state.get("status") == "held" and state["held"]["stage"] != "migration":
        state = resume_run(ctx, run_id, decision="accept", actor="bench", role="operator")
    return run_id


def _baseline(db: Any, run_id: str, source: Path, target_url: str, table: str) -> float:
    """Seconds for the plain way (module docstring), the table created beforehand."""
    import psycopg
    import yaml

    from core.target_schema import parse_target_schema
    from specialists.ingest.run import standard_frame
    from specialists.mapping.execute import transform
    from specialists.mapping.plan import plan_pipelines
    from specialists.migration.targets.postgres import pg_type, render_csv
    from supervisor.migration import latest_artifact

    _, catalog = latest_artifact(db, run_id, "catalog")
    _, plan = latest_artifact(db, run_id, "mapping_plan")
    entry = catalog["tables"][0]
    doc = yaml.safe_load((EXAMPLE / "target_schema.yaml").read_text()) | {"table": table}
    schema = parse_target_schema(doc)
    columns = ", ".join(f'"{c.name}" {pg_type(c.type)}' for c in schema.columns)
    with psycopg.connect(target_url, autocommit=True) as conn:
        conn.execute(f'DROP TABLE IF EXISTS "{table}"')
        conn.execute(f'CREATE TABLE "{table}" ({columns}, PRIMARY KEY ("txn_id"))')
        started = time.perf_counter()
        frame = standard_frame(source, entry["standardization"])
        payload = render_csv(transform(frame, plan_pipelines(plan), schema))
        with conn.transaction(), conn.cursor() as cur:
            with cur.copy(f'COPY "{table}" FROM STDIN (FORMAT csv)') as copy:
                for i in range(0, len(payload), 1 << 20):
                    copy.write(payload[i : i + (1 << 20)])
        seconds = time.perf_counter() - started
        conn.execute(f'DROP TABLE IF EXISTS "{table}"')
    return seconds


def _landing(url: str, source: Path, rows: int | None) -> None:
    """The CSV's first ``rows`` rows (all: None) as the table ``txn_landing`` at ``url``."""
    import psycopg

    header = source.open().readline().rstrip("\n").split(",")
    columns = ", ".join(f'"{n}" text' for n in header)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS txn_landing")
        conn.execute(f'CREATE TABLE txn_landing ({columns}, PRIMARY KEY ("{header[0]}"))')
        with (
            conn.cursor() as cur,
            cur.copy("COPY txn_landing FROM STDIN (FORMAT csv, HEADER true)") as copy,
            source.open("rb") as f,
        ):
            for n, line in enumerate(f):
                if rows is not None and n > rows:
                    break
                copy.write(line)
        conn.execute("ANALYZE txn_landing")


def _elt(db: Any, folder: Path, source: Path, args: Any) -> dict[str, Any]:
    """ELT into a database of its own: the baseline INSERT .. SELECT, then Conduit's ELT."""
    import psycopg

    from core.contract import parse_contract
    from policy.manifest import current_manifest
    from specialists.migration import store
    from specialists.migration.elt import plain_insert_select
    from specialists.migration.targets.postgres import pg_type
    from supervisor.migration import promote, stage_migration
    from supervisor.runs import get_run

    name = f"bench_elt_{int(time.time())}"
    admin = args.target.rsplit("/", 1)[0] + "/postgres"
    url = args.target.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        _landing(url, source, args.plan_rows)
        started = time.perf_counter()
        run_id = _run(db, folder, url, url, "txn", sql=True)
        print(f"ELT run planned in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        _landing(url, source, None)
        row = store.latest_migration(db, run_id, "migrate")
        assert row is not None, "the run did not reach Migration"
        spec, _ = store.load_spec(row)
        assert spec.strategy == "elt", spec.strategy_reason
        columns = ", ".join(f'"{c["name"]}" {pg_type(c["type"])}' for c in spec.columns)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'CREATE TABLE txn_baseline ({columns}, PRIMARY KEY ("txn_id"))')
            started = time.perf_counter()
            with conn.transaction():
                conn.execute(plain_insert_select(spec, "txn_baseline"))
            baseline = time.perf_counter() - started
            base_rows = conn.execute("SELECT count(*) FROM txn_baseline").fetchone()
            conn.execute("DROP TABLE txn_baseline")
            conn.execute('DROP TABLE IF EXISTS "txn"')
        contract = parse_contract(get_run(db, run_id).contract)
        started = time.perf_counter()
        summary = stage_migration(
            db,
            run_id,
            contract=contract,
            manifest=current_manifest(),
            pii_key=b"b" * 32,
            base=folder,
            env={},
            workers=args.workers,
            fresh=True,
        )
        promoted = promote(
            db,
            run_id,
            manifest=current_manifest(),
            pii_key=b"b" * 32,
            actor="bench",
            role="operator",
        )
        elt = time.perf_counter() - started
        with psycopg.connect(url, autocommit=True) as conn:
            count = conn.execute('SELECT count(*) FROM "txn"').fetchone()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return {
        "elt_strategy": summary["strategy"],
        "elt_final_rows": count[0] if count else None,
        "baseline_insert_select_rows": base_rows[0] if base_rows else None,
        "baseline_insert_select_s": round(baseline, 2),
        "baseline_insert_select_rows_per_s": round(args.rows / baseline),
        "elt_s": round(elt, 2),
        "elt_rows_per_s": round(args.rows / elt),
        "elt_ratio_vs_insert_select": round(baseline / elt, 3),
        "elt_chunks": len(summary["chunks"]),
        "elt_promotion": promoted["outcome"]["promotion"]["mode"],
    }


def main() -> None:
    if os.environ.get("BENCH_HANG_S"):
        faulthandler.dump_traceback_later(float(os.environ["BENCH_HANG_S"]), exit=True)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--target", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--plan-rows", type=int, default=100_000)
    parser.add_argument("--skip-etl", action="store_true", help="measure ELT only")
    args = parser.parse_args()

    from core.db import open_database
    from core.settings import Settings

    with tempfile.TemporaryDirectory(prefix="cb-") as tmp:
        folder = Path(tmp)
        source = folder / "transactions.csv"
        started = time.perf_counter()
        _generate(source, args.rows)
        print(
            f"generated {args.rows:,} rows in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
        db = open_database(Settings(home=folder / "home"))
        result: dict[str, Any] = {"rows": args.rows, "workers": args.workers}
        if not args.skip_etl:
            result |= _etl(db, folder, source, args)
        result |= _elt(db, folder, source, args)
        db.dispose()
    print(json.dumps(result))


def _etl(db: Any, folder: Path, source: Path, args: Any) -> dict[str, Any]:
    """ETL from the CSV into the target: the baseline COPY, then Conduit's ETL."""
    import psycopg

    from core.contract import parse_contract
    from policy.manifest import current_manifest
    from supervisor.migration import promote, stage_migration
    from supervisor.runs import get_run

    table = f"bench_migrate_{int(time.time())}"
    started = time.perf_counter()
    run_id = _run(db, folder, source, args.target, table)
    print(f"run to the migration gate in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    baseline = _baseline(db, run_id, source, args.target, table + "_baseline")
    contract = parse_contract(get_run(db, run_id).contract)
    manifest = current_manifest()
    with psycopg.connect(args.target, autocommit=True) as conn:
        conn.execute(f'DROP TABLE IF EXISTS "{table}"')
    started = time.perf_counter()
    # the graph staged it at the migration stage already: time a fresh attempt of our own
    summary = stage_migration(
        db,
        run_id,
        contract=contract,
        manifest=manifest,
        pii_key=b"b" * 32,
        base=folder,
        env={},
        workers=args.workers,
        fresh=True,
    )
    promoted = promote(
        db, run_id, manifest=manifest, pii_key=b"b" * 32, actor="bench", role="operator"
    )
    etl = time.perf_counter() - started
    with psycopg.connect(args.target, autocommit=True) as conn:
        count = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()
        conn.execute(f'DROP TABLE IF EXISTS "{table}"')
    return {
        "final_rows": count[0] if count else None,
        "baseline_copy_s": round(baseline, 2),
        "baseline_copy_rows_per_s": round(args.rows / baseline),
        "etl_s": round(etl, 2),
        "etl_rows_per_s": round(args.rows / etl),
        "etl_ratio_vs_copy": round(baseline / etl, 3),
        "etl_chunks": len(summary["chunks"]),
        "etl_promotion": promoted["outcome"]["promotion"]["mode"],
    }


if __name__ == "__main__":
    main()
