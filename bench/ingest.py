"""Ingest cost: cataloging and sampling a generated CSV, against a plain Polars read of it.

Generates a CSV of about ``--gb`` GB (10 columns of a bank extract: ids, dates, amounts, names,
emails, memos), then times, side by side on the same file:

- baseline: ``polars.scan_csv(path).collect()``;
- ingest: ``sniff`` + ``read_file`` + ``catalog_table`` + ``sample_pack`` (1,000 rows, masked),
  with the PII models loaded beforehand, as in a running worker (their load time is reported).

The last line is JSON with both wall times and their ratio (target <= 2.0).
Both are run ``--repeat`` times (default 2), alternating, and the best of each is compared.
Run: ``python bench/ingest.py [--gb 1.0] [--repeat 2] [--keep]``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path


def generate(path: Path, gb: float) -> int:
    """Write about ``gb`` GB of CSV with Polars; the number of rows."""
    import polars as pl

    row_bytes = 74  # measured: the generated rows average 74 bytes
    rows = int(gb * 1e9 / row_bytes)
    first = ["Maria", "John", "Wei", "Aisha", "Robert", "Olga", "Juan", "Emily", "Omar", "Priya"]
    last = ["Gonzalez", "Smith", "Zhang", "Khan", "Brown", "Ivanova", "Lopez", "Clark"]
    i = pl.int_range(0, rows, eager=True)
    frame = pl.DataFrame(
        {
            "txn_id": (i + 10_000_000).cast(pl.Utf8),
            "posted_date": pl.date_range(
                pl.date(2025, 1, 1), pl.date(2026, 12, 31), eager=True
            ).sample(rows, with_replacement=True, seed=1),
            "amount": ((i * 7919 % 500_000) / 100).round(2),
            "currency": pl.Series(["USD", "EUR", "GBP"]).sample(
                rows, with_replacement=True, seed=2
            ),
            "first_name": pl.Series(first).sample(rows, with_replacement=True, seed=3),
            "last_name": pl.Series(last).sample(rows, with_replacement=True, seed=4),
            "account": (i * 104729 % 90_000_000 + 10_000_000).cast(pl.Utf8),
            "memo": pl.Series(["Card purchase", "Refund", "ACH debit", "Wire out"]).sample(
                rows, with_replacement=True, seed=5
            ),
            "category": pl.Series(["travel", "meals", "rent"]).sample(
                rows, with_replacement=True, seed=6
            ),
            "flag": (i % 2 == 0),
        }
    )
    frame.write_csv(path)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gb", type=float, default=1.0)
    parser.add_argument("--keep", action="store_true", help="keep the generated file")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each, best taken")
    args = parser.parse_args()

    import polars as pl

    from core.contract import SampleCaps
    from policy.manifest import current_manifest
    from specialists.ingest.catalog import catalog_table
    from specialists.ingest.files import read_file, sniff
    from specialists.ingest.sample import sample_pack

    # A worker has the PII models loaded: load them first, and report the time apart.
    started = time.perf_counter()
    from policy.pii.detect import text_spans

    text_spans("Warm up Maria Gonzalez 415-555-0134", detection=current_manifest().pii.detection)
    model_load_s = time.perf_counter() - started

    folder = Path(tempfile.mkdtemp(prefix="conduit-bench-ingest-"))
    path = folder / "transactions.csv"
    started = time.perf_counter()
    rows = generate(path, args.gb)
    generated_s = time.perf_counter() - started
    size = path.stat().st_size

    def baseline() -> float:
        started = time.perf_counter()
        frame = pl.scan_csv(path).collect()
        elapsed = time.perf_counter() - started
        del frame
        return elapsed

    def ingest() -> tuple[float, float, float, int]:
        started = time.perf_counter()
        fmt = sniff(path)
        read = read_file(path, fmt)
        read_s = time.perf_counter() - started
        table = catalog_table("transactions", read.frame, read.source_headers)
        catalog_s = time.perf_counter() - started - read_s
        pack = sample_pack(
            current_manifest(),
            mode="data_mode",
            frame=read.frame,
            catalog=table,
            caps=SampleCaps(rows_max=1000, bytes_max=4_000_000),
            seed=1,
            key=b"bench" * 8,
        )
        return time.perf_counter() - started, read_s, catalog_s, pack.rows

    # Side by side, alternating, best of `--repeat` each (the machine's other load only ever
    # adds time, so the fastest run of each is the fairest comparison).
    baselines, ingests = [], []
    for _ in range(args.repeat):
        baselines.append(baseline())
        ingests.append(ingest())
    baseline_s = min(baselines)
    ingest_s, read_s, catalog_s, sample_rows = min(ingests)
    if not args.keep:
        path.unlink()
        folder.rmdir()
    result = {
        "bench": "ingest",
        "bytes": size,
        "rows": rows,
        "generate_s": round(generated_s, 2),
        "model_load_s": round(model_load_s, 2),
        "polars_scan_collect_s": round(baseline_s, 2),
        "ingest_s": round(ingest_s, 2),
        "read_s": round(read_s, 2),
        "catalog_s": round(catalog_s, 2),
        "sample_s": round(ingest_s - read_s - catalog_s, 2),
        "sample_rows": sample_rows,
        "repeat": args.repeat,
        "polars_runs_s": [round(t, 2) for t in baselines],
        "ingest_runs_s": [round(t[0], 2) for t in ingests],
        "ratio": round(ingest_s / baseline_s, 2),
        "target_ratio": 2.0,
    }
    print(
        f"{size / 1e9:.2f} GB, {rows} rows: polars {baseline_s:.1f} s, ingest {ingest_s:.1f} s "
        f"(read {read_s:.1f}, catalog {catalog_s:.1f}), ratio {result['ratio']}"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
