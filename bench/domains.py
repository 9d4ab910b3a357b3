"""Domaining throughput: domains for 1,000 generated columns in ``metadata_only``.

Headers are generated from the catalog's own aliases, restyled as exports write them
(snake_case, camelCase, UPPER, a table prefix or a numeric suffix), plus one in ten made-up
headers that name no domain. Centroids are built once (as a worker holds them), then every
column goes through evidence, candidates, scores and a decision. Prints columns/s (target
>= 200 on 2 cores) and, for information, how many generated columns got the domain they were
made from (these are not the golden sets: the eval reports accuracy).

Run: ``python bench/domains.py [--columns 1000] [--seed 7]``.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time


def _style(rng: random.Random, alias: str) -> str:
    words = [w for w in re.split(r"[^\w]+", alias) if w]
    if not words:
        return alias
    style = rng.randrange(6)
    if style == 0:
        header = "_".join(w.lower() for w in words)
    elif style == 1:
        header = words[0].lower() + "".join(w.capitalize() for w in words[1:])
    elif style == 2:
        header = "_".join(w.upper() for w in words)
    elif style == 3:
        header = "src_" + "_".join(w.lower() for w in words)
    elif style == 4:
        header = " ".join(words) + f" {rng.randrange(1, 4)}"
    else:
        header = alias
    return header


def generate(columns: int, seed: int) -> list[tuple[str, str | None]]:
    """``columns`` (header, domain it was made from or None) pairs."""
    from specialists.domains.catalog import load_catalog

    rng = random.Random(seed)
    catalog = load_catalog()
    pairs = [(d.id, a) for d in catalog.domains for a in d.aliases]
    out: list[tuple[str, str | None]] = []
    for _ in range(columns):
        if rng.random() < 0.1:
            junk = "".join(rng.choice("bcdfghjklmnpqrstvwxz") for _ in range(rng.randint(4, 9)))
            out.append((f"{junk}_{rng.randrange(100)}", None))
        else:
            domain, alias = rng.choice(pairs)
            out.append((_style(rng, alias), domain))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--columns", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    from core.profiles import bundled_profiles
    from specialists.domains.assign import Centroids, assign_columns
    from specialists.domains.catalog import load_catalog

    catalog = load_catalog()
    profile = next(p for p in bundled_profiles() if p.profile_id == "tp_default_v1")
    started = time.perf_counter()
    centroids = Centroids.of(catalog)
    centroids_s = time.perf_counter() - started
    columns = generate(args.columns, args.seed)

    started = time.perf_counter()
    assigned = assign_columns(
        [(header, None) for header, _ in columns],
        "metadata_only",
        catalog,
        centroids,
        tau_high=float(profile.domaining.tau_high),
        tau_low=float(profile.domaining.tau_low),
    )
    elapsed = time.perf_counter() - started
    known = [(a, d) for a, (_, d) in zip(assigned, columns, strict=True) if d is not None]
    made_up = [a for a, (_, d) in zip(assigned, columns, strict=True) if d is None]
    result = {
        "bench": "domains",
        "mode": "metadata_only",
        "columns": len(columns),
        "seconds": round(elapsed, 3),
        "columns_per_s": round(len(columns) / elapsed, 1),
        "target_columns_per_s": 200,
        "centroids_s": round(centroids_s, 3),
        "generated_known": len(known),
        "generated_top1_share": round(sum(a.domain_id == d for a, d in known) / len(known), 3),
        "generated_high_share": round(sum(a.band == "high" for a, _ in known) / len(known), 3),
        "made_up_unknown_share": round(
            sum(a.decision == "unknown" for a in made_up) / max(1, len(made_up)), 3
        ),
    }
    print(f"{len(columns)} columns in {elapsed:.2f} s: {result['columns_per_s']} columns/s")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
