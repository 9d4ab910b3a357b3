"""Startup time of the CLI: median wall time of `conduit --help` over N runs.

Target (issue 2): median < 0.5 s. Printed beside the bare interpreter start-up measured in the same
run, so the ratio says how much Conduit itself adds. Last line: one JSON object.

Usage: python bench/startup.py [--runs 10]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

CONDUIT = Path(sys.executable).with_name("conduit")


def _median_seconds(argv: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    _median_seconds([str(CONDUIT), "--help"], 1)  # warm the file cache
    help_s = _median_seconds([str(CONDUIT), "--help"], args.runs)
    python_s = _median_seconds([sys.executable, "-c", "pass"], args.runs)
    result = {
        "bench": "startup",
        "runs": args.runs,
        "conduit_help_median_s": round(help_s, 4),
        "python_bare_median_s": round(python_s, 4),
        "ratio_to_bare_python": round(help_s / python_s, 2),
        "target_s": 0.5,
        "meets_target": help_s < 0.5,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
