"""Mapping cost: a Mapping Plan for a wide table, and the pair ranking ``conduit match`` prints.

Generates a CSV of ``--columns`` columns (names built from finance words, values of each
column's type) and a target schema of as many columns (renamed and re-typed copies), then
times, on the same bodies:

- ``rank``: every (target, source) pair scored and ranked (``rank_matches``);
- ``plan``: the whole Mapping Plan, candidate pipelines executed on the 1,000-row sample.

Ingest and Domains run first and are not timed. The last line is JSON with the figures.
Run: ``python bench/mapping.py [--columns 200] [--rows 2000]``.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

WORDS = [
    "amount",
    "date",
    "vendor",
    "customer",
    "id",
    "name",
    "code",
    "total",
    "tax",
    "city",
    "region",
    "posted",
    "invoice",
    "line",
    "qty",
    "price",
    "status",
    "memo",
    "account",
]


def _columns(n: int, rng: random.Random) -> list[tuple[str, str, str]]:
    """(source header, target name, kind) per column, unique."""
    out, seen = [], set()
    while len(out) < n:
        parts = rng.sample(WORDS, 3)
        header = " ".join(p.title() for p in parts)
        if header in seen:
            continue
        seen.add(header)
        kind = (
            "date"
            if "date" in parts
            else "decimal"
            if {"amount", "total", "tax", "price"} & set(parts)
            else "string"
        )
        out.append((header, "_".join(reversed(parts)), kind))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--columns", type=int, default=200)
    parser.add_argument("--rows", type=int, default=2000)
    args = parser.parse_args()

    import yaml

    from core.contract import parse_contract, tool_contract
    from core.profiles import bundled_profiles
    from core.target_schema import load_target_schema
    from policy.manifest import current_manifest
    from specialists.domains.catalog import load_catalog
    from specialists.domains.run import DomainSettings, domain_assignments
    from specialists.ingest.run import file_bodies
    from specialists.mapping.columns import source_columns, target_specs
    from specialists.mapping.match import rank_matches
    from specialists.mapping.plan import MappingSettings, mapping_plan

    rng = random.Random(7)
    cols = _columns(args.columns, rng)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        lines = [",".join(h for h, _, _ in cols)]
        for r in range(args.rows):
            row = []
            for _, _, kind in cols:
                if kind == "date":
                    row.append(f"2026-{r % 12 + 1:02d}-{r % 28 + 1:02d}")
                elif kind == "decimal":
                    row.append(f"{(r * 37) % 10000}.{r % 100:02d}")
                else:
                    row.append(f"V{r % 500}")
            lines.append(",".join(row))
        (folder / "lhs.csv").write_text("\n".join(lines) + "\n")
        schema = {
            "table": "target",
            "columns": [
                {"name": t, "type": {"date": "date", "decimal": "decimal(12,2)"}.get(k, "string")}
                for _, t, k in cols
            ],
        }
        (folder / "rhs.yaml").write_text(yaml.safe_dump(schema))
        profile = next(p for p in bundled_profiles() if p.profile_id == "tp_default_v2")
        contract = parse_contract(
            tool_contract(
                mode="data_mode",
                lhs_type="file",
                lhs_location=str(folder / "lhs.csv"),
                actor="bench.mapping",
                tags=["bench"],
            )
        )
        catalog_body, sample_body = file_bodies(contract, current_manifest(), b"k" * 32, folder)
        target = load_target_schema(folder / "rhs.yaml")
        assignments = domain_assignments(
            catalog_body,
            sample_body,
            target,
            "data_mode",
            load_catalog(),
            DomainSettings.of(profile),
        )
        sources = source_columns(catalog_body, sample_body, assignments)
        targets = target_specs(target, assignments)
        started = time.perf_counter()
        ranked = rank_matches(targets, sources, table=target.table, top_k=1)
        rank_s = time.perf_counter() - started
        started = time.perf_counter()
        plan = mapping_plan(
            catalog_body, sample_body, assignments, target, "data_mode", MappingSettings.of(profile)
        )
        plan_s = time.perf_counter() - started
    truth = {t: h for h, t, _ in cols}
    right = sum(truth[p.target] == p.source for p in ranked)
    pairs = len(targets) * len(sources)
    figures = {
        "bench": "mapping",
        "columns": args.columns,
        "rows": args.rows,
        "pairs": pairs,
        "rank_s": round(rank_s, 3),
        "pairs_per_s": round(pairs / rank_s),
        "plan_s": round(plan_s, 3),
        "target_columns_per_s": round(len(targets) / plan_s, 1),
        "accepted": plan["summary"]["accepted"],
        "top1_right": round(right / len(targets), 4),
    }
    print(f"{args.columns} x {args.columns} columns: rank {rank_s:.2f} s, plan {plan_s:.2f} s")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
