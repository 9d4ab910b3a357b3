"""Fit the domain-score calibrations on the golden set: ``python -m evals.calibrate``.

For each mode, every labelled column of the project's golden set (``evals/golden``) is scored
with the bundled catalog and the default profile's weights, uncalibrated; the best candidate's
raw score is fit to whether it is right by isotonic regression (blocks of at least
``MIN_BLOCK`` columns). ``metadata_only`` is fit on every case read header-only; ``data_mode``
on the data_mode cases. The result is written to ``specialists/domains/calibration_v1.yaml``
with what it was fit on, and the script prints ECE and Brier before and after, on the golden
set and on the holdout set (``evals/holdout``, never fit on), as a last-line JSON.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any

from core.canonical import content_hash
from core.profiles import bundled_profiles
from evals.domains import catalog_metrics
from evals.golden_cases import GOLDEN, HOLDOUT, find_cases, load_case
from specialists.domains.calibration import BUNDLED, Calibration, fit_isotonic
from specialists.domains.catalog import catalog_hash, load_catalog
from specialists.domains.run import DomainSettings

MIN_BLOCK = 8
PROFILE = "tp_default_v2"
_IDENTITY = {"metadata_only": Calibration(()), "data_mode": Calibration(())}


def _figures(metrics: dict[str, Any]) -> dict[str, Any]:
    keys = ("columns", "accuracy", "high_share", "high_precision", "ece", "brier")
    return {k: metrics[k] for k in keys}


def main(argv: list[str] | None = None) -> int:
    del argv
    catalog = load_catalog()
    [profile] = [p for p in bundled_profiles() if p.profile_id == PROFILE]
    settings = DomainSettings.of(profile)
    modes = {case.name: case.mode for case in map(load_case, find_cases(GOLDEN))}
    fitted: dict[str, Calibration] = {}
    doc: dict[str, Any] = {
        "version": 1,
        "fit_on": {
            "golden": str(GOLDEN.relative_to(GOLDEN.parents[1])),
            "catalog": {"version": catalog.version, "hash": catalog_hash(catalog)},
            "profile": PROFILE,
            "min_block": MIN_BLOCK,
            "fitted": dt.date.today().isoformat(),
        },
        "modes": {},
    }
    report: dict[str, Any] = {}
    for mode in ("metadata_only", "data_mode"):
        forced = "metadata_only" if mode == "metadata_only" else None
        raw, results = catalog_metrics(
            catalog, [GOLDEN], settings, mode=forced, calibrations=_IDENTITY
        )
        results = [o for o in results if forced or modes[o.case] == mode]
        cal = fit_isotonic(
            [o.score for o in results], [o.best_right for o in results], min_block=MIN_BLOCK
        )
        fitted[mode] = cal
        doc["modes"][mode] = {
            "columns": len(results),
            "data": content_hash(
                sorted((o.case, o.column, o.score, o.best_right) for o in results)
            ),
            "points": [list(p) for p in cal.points],
        }
        report[mode] = {"golden_raw": _figures(raw)}
    import yaml

    header = (
        "# Domain-score calibrations, written by `python -m evals.calibrate` (do not edit by\n"
        "# hand): isotonic maps from the best candidate's raw score to the probability it is\n"
        "# right, fit on the golden set. See specialists/domains/calibration.py.\n"
    )
    BUNDLED.write_text(header + yaml.safe_dump(doc, sort_keys=False, width=100), encoding="utf-8")
    for mode in ("metadata_only", "data_mode"):
        forced = "metadata_only" if mode == "metadata_only" else None
        for name, root in (("golden", GOLDEN), ("holdout", HOLDOUT)):
            metrics, _ = catalog_metrics(
                catalog, [root], settings, mode=forced, calibrations=fitted
            )
            report[mode][name] = _figures(metrics)
    print(f"wrote {BUNDLED}", file=sys.stderr)
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
