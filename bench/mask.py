"""Masking throughput: cells per second to detect and mask a 100k-cell sample on one core.

The sample is a bank-transaction extract (10 columns x 10,000 rows, seeded): ids, dates, amounts,
currency, a customer name, email, phone, card number, a merchant and a free-text memo in which a
fifth of the rows mention a person or an account number. The models are loaded and warmed on a
different table first, so the figure is the steady state of a worker, not the 2 s model load; the
per-value caches are cleared before each measured run (cold caches).

Figures (last line, JSON):
- ``cells_per_s``: detection + masking, end to end (the Done-when target: >= 50,000);
- ``mask_only_cells_per_s``: applying the operators once the findings are known;
- ``distinct_memo_cells_per_s``: the worst case, every memo distinct and never seen before.

Run: ``python bench/mask.py [--rows N]``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "POLARS_MAX_THREADS"):
    os.environ.setdefault(_var, "1")  # one core, as the target says

import argparse  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import time  # noqa: E402

from policy.manifest import current_manifest  # noqa: E402
from policy.pii import ner, values  # noqa: E402
from policy.pii.detect import detect_table  # noqa: E402
from policy.pii.mask import Masker, mask_table  # noqa: E402

FIRST = "Maria John Wei Aisha Robert Olga Juan Emily Omar Priya Kwame Sofia Liam Mei Arjun".split()
LAST = "Gonzalez Smith Zhang Khan Brown Ivanova Lopez Clark Haddad Patel Okafor Rossi Kim".split()
MERCHANTS = ["AMAZON MKTPLACE", "SHELL OIL 5512", "WHOLE FOODS #102", "DELTA AIR", "UBER TRIP"]
MEMOS = [
    "Card purchase {m}",
    "Monthly subscription",
    "Refund processed",
    "Payment to {p} for invoice INV-{n}",
    "Transfer to acct {a}",
    "ATM withdrawal",
    "Zelle from {p} - rent share",
]


def luhn_complete(prefix: str) -> str:
    digits = [int(d) for d in prefix]
    for check in range(10):
        total = 0
        for i, d in enumerate(reversed(digits + [check])):
            total += (d * 2 - 9 if d * 2 > 9 else d * 2) if i % 2 else d
        if total % 10 == 0:
            return prefix + str(check)
    raise AssertionError


def make_table(rows: int, seed: int, *, distinct_memos: bool) -> dict[str, list[str | None]]:
    rnd = random.Random(seed)
    people = [f"{rnd.choice(FIRST)} {rnd.choice(LAST)}" for _ in range(300)]
    t: dict[str, list[str | None]] = {
        c: []
        for c in (
            "txn_id",
            "posted_date",
            "amount",
            "currency",
            "customer_name",
            "email",
            "phone",
            "card_number",
            "merchant",
            "memo",
        )
    }
    for i in range(rows):
        person = rnd.choice(people)
        card = luhn_complete("4" + "".join(rnd.choice("0123456789") for _ in range(14)))
        t["txn_id"].append(str(10_000_000 + i))
        t["posted_date"].append(f"2026-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}")
        t["amount"].append(f"{rnd.uniform(-2000, 5000):.2f}")
        t["currency"].append(rnd.choice(["USD", "USD", "EUR"]))
        t["customer_name"].append(person)
        t["email"].append(person.lower().replace(" ", ".") + "@example.com")
        t["phone"].append(f"({rnd.randint(201, 989)}) 555-{rnd.randint(100, 9999):04d}")
        t["card_number"].append(" ".join(card[k : k + 4] for k in range(0, 16, 4)))
        t["merchant"].append(rnd.choice(MERCHANTS))
        memo = rnd.choice(MEMOS).format(
            m=rnd.choice(MERCHANTS),
            p=rnd.choice(people),
            n=rnd.randint(1000, 9999),
            a=rnd.randint(10**7, 10**9),
        )
        t["memo"].append(f"{memo} #{i}" if distinct_memos else memo)
    return t


def run(table: dict[str, list[str | None]], masker: Masker) -> tuple[float, float, int]:
    detection = current_manifest().pii.detection
    values.clear_caches()  # cold: nothing the warm-up saw is remembered
    ner.clear_cache()
    t0 = time.perf_counter()
    findings = detect_table(table, detection=detection)
    t1 = time.perf_counter()
    mask_table(table, findings, masker)
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, findings.count()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    masker = Masker(current_manifest().pii.operators, b"bench-key" * 4)

    started = time.perf_counter()
    run(make_table(2_000, seed=1, distinct_memos=False), masker)  # load and warm the models
    warmup_s = time.perf_counter() - started

    table = make_table(args.rows, seed=2, distinct_memos=False)
    cells = sum(len(v) for v in table.values())
    detect_s, mask_s, masked = run(table, masker)
    worst = make_table(args.rows, seed=3, distinct_memos=True)
    w_detect, w_mask, _ = run(worst, masker)

    result = {
        "bench": "mask",
        "cells": cells,
        "masked_cells": masked,
        "detect_s": round(detect_s, 3),
        "mask_s": round(mask_s, 3),
        "cells_per_s": round(cells / (detect_s + mask_s)),
        "mask_only_cells_per_s": round(cells / mask_s),
        "distinct_memo_cells_per_s": round(cells / (w_detect + w_mask)),
        "target_cells_per_s": 50_000,
        "warmup_s": round(warmup_s, 2),
        "threads": 1,
    }
    print(
        f"{cells} cells: detect {detect_s:.2f} s, mask {mask_s:.2f} s "
        f"({result['cells_per_s']} cells/s; worst case {result['distinct_memo_cells_per_s']})"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
