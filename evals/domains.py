"""Domain metrics on golden sets: accuracy, the share assigned High, calibration (§10, §43).

Per labelled source column (``expected.yaml`` ``domains``), an :class:`Outcome`: the expected
domain, what the run proposes (the best candidate unless its band is low: then ``unknown``), the
calibrated confidence and whether the best candidate is right. From the outcomes:

- ``accuracy``: over columns with an expected domain (not ``unknown``), the share proposed right;
- ``high_share``: over the same columns, the share assigned automatically (band high);
- ``high_precision``: of the columns assigned High, the share right;
- ``domains``: the GOLDEN_FORMAT figure, over every listed column, ``unknown`` included;
- ``ece``, ``brier``, ``reliability``: the confidence of the best candidate against whether it
  is right, over every listed column (an ``unknown`` column's best candidate is always wrong).

``catalog_metrics`` computes them in-process for a candidate catalog, on the Catalog and Sample
Pack bodies Ingest would store (the same code the DOMAINS node runs), so a promotion can be
checked against the golden set without starting a run; ``conduit eval`` computes them from
real runs' Domain Assignments.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals.golden_cases import Case, case_contract, find_cases, load_case
from specialists.domains.calibration import (
    Calibration,
    brier_score,
    expected_calibration_error,
    reliability,
)
from specialists.domains.catalog import DomainCatalog
from specialists.domains.run import DomainSettings, domain_assignments

__all__ = ["Outcome", "case_bodies", "catalog_metrics", "domain_metrics", "outcomes"]

UNKNOWN = "unknown"


@dataclass(frozen=True)
class Outcome:
    case: str
    column: str
    expected: str
    proposed: str  # the best candidate, or unknown when its band is low
    best: str | None  # the best candidate whatever its band
    score: float
    confidence: float
    band: str

    @property
    def best_right(self) -> int:
        return int(self.best is not None and self.best == self.expected)


def outcomes(case: str, body: Mapping[str, Any], expected: Mapping[str, str]) -> list[Outcome]:
    """The outcome of every labelled column of a Domain Assignments body.

    A labelled column the body does not hold counts as proposed ``unknown`` with confidence 0.
    """
    by_column = {r["column"]: r for r in body.get("source", [])}
    out = []
    for column, domain in expected.items():
        record = by_column.get(column)
        if record is None:
            out.append(Outcome(case, column, domain, UNKNOWN, None, 0.0, 0.0, "low"))
            continue
        best = record["candidates"][0]["domain_id"] if record["candidates"] else None
        proposed = record["domain_id"] or UNKNOWN
        out.append(
            Outcome(
                case,
                column,
                domain,
                proposed,
                best,
                float(record["score"]),
                float(record["confidence"]),
                record["band"],
            )
        )
    return out


def domain_metrics(results: Sequence[Outcome]) -> dict[str, Any]:
    """The figures of the module docstring over ``results``."""
    known = [o for o in results if o.expected != UNKNOWN]
    high = [o for o in results if o.band == "high"]
    probs = [o.confidence for o in results]
    labels = [o.best_right for o in results]

    def share(part: int, whole: int) -> float | None:
        return round(part / whole, 4) if whole else None

    return {
        "columns": len(results),
        "known": len(known),
        "accuracy": share(sum(o.proposed == o.expected for o in known), len(known)),
        "high_share": share(sum(o.band == "high" for o in known), len(known)),
        "high_precision": share(sum(o.proposed == o.expected for o in high), len(high)),
        "domains": share(sum(o.proposed == o.expected for o in results), len(results)),
        "held": sum(o.band == "borderline" for o in results),
        "ece": expected_calibration_error(probs, labels),
        "brier": brier_score(probs, labels),
        "reliability": reliability(probs, labels),
    }


@functools.lru_cache(maxsize=256)
def _bodies(folder: Path, mode: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    from core.contract import parse_contract
    from policy.manifest import current_manifest
    from specialists.ingest.run import file_bodies

    case = load_case(folder)
    contract = parse_contract(case_contract(case, mode=mode))
    # The pseudonym key only changes what masked values read as; domaining reads the entity.
    return file_bodies(contract, current_manifest(), b"conduit-eval-key".ljust(32, b"."), folder)


def case_bodies(case: Case, mode: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The Catalog and Sample Pack bodies Ingest would store for ``case`` in ``mode`` (read once
    per process; file cases only)."""
    return _bodies(case.folder, mode)


def catalog_metrics(
    catalog: DomainCatalog,
    roots: Iterable[Path],
    settings: DomainSettings,
    *,
    mode: str | None = None,
    calibrations: Mapping[str, Calibration] | None = None,
) -> tuple[dict[str, Any], list[Outcome]]:
    """Domain metrics of ``catalog`` on every file case with labelled domains under ``roots``,
    in each case's mode (or in ``mode`` for all), computed in-process."""
    from specialists.domains.assign import Centroids

    centroids = Centroids.of(catalog)
    results: list[Outcome] = []
    for root in roots:
        for folder in find_cases(root):
            case = load_case(folder)
            if not case.domains or case.lhs["type"] != "file":
                continue
            in_mode = mode or case.mode
            catalog_body, sample_body = case_bodies(case, in_mode)
            body = domain_assignments(
                catalog_body,
                sample_body,
                None,
                in_mode,  # type: ignore[arg-type]
                catalog,
                settings,
                centroids=centroids,
                calibrations=calibrations,
            )
            results += outcomes(case.name, body, case.domains)
    return domain_metrics(results), results
