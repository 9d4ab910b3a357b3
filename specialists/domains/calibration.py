"""Calibrating domain scores to probabilities (§10), and the measures of how well they are.

A raw score (``specialists.domains.score``) ranks candidates, but 0.82 need not mean "right four
times in five". A :class:`Calibration` maps the best candidate's raw score to the probability
that the candidate is the column's domain, fit on the project's golden sets by isotonic
regression (pool-adjacent-violators: the best non-decreasing step function under squared
error) and read with linear interpolation between its steps. The profile's ``tau_high`` and
``tau_low`` are then compared with that probability, so they mean what they say.

The fitted maps live in ``calibration_v1.yaml`` beside this module, one per mode (a header-only
score and a score with values are different evidence), with what they were fit on: regenerate
them with ``python -m evals.calibrate`` after changing the catalog or the scoring.

``expected_calibration_error`` (ECE), ``brier_score`` and ``reliability`` are how the eval
reports calibration: over equal-width confidence bins, the gap between the mean confidence and
the share correct, weighted by the bin's size.

>>> cal = fit_isotonic([0.2, 0.4, 0.6, 0.8], [0, 0, 1, 1])
>>> cal.points
((0.2, 0.0), (0.4, 0.0), (0.6, 1.0), (0.8, 1.0))
>>> cal(0.5), cal(0.1), cal(0.95)
(0.5, 0.0, 1.0)
>>> expected_calibration_error([0.9, 0.9, 0.1, 0.1], [1, 1, 0, 0])
0.1
>>> brier_score([1.0, 0.0], [1, 0])
0.0
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.canonical import content_hash
from core.errors import ContractError

__all__ = [
    "Calibration",
    "brier_score",
    "bundled_calibrations",
    "expected_calibration_error",
    "fit_isotonic",
    "reliability",
]

BUNDLED = Path(__file__).with_name("calibration_v1.yaml")


@dataclass(frozen=True)
class Calibration:
    """A non-decreasing map from raw score to probability, by its breakpoints."""

    points: tuple[tuple[float, float], ...]  # (score, probability), scores ascending

    def __call__(self, score: float) -> float:
        if not self.points:
            return round(score, 6)  # the identity: uncalibrated
        xs = [x for x, _ in self.points]
        if score <= xs[0]:
            return self.points[0][1]
        if score >= xs[-1]:
            return self.points[-1][1]
        i = bisect.bisect_right(xs, score)
        (x0, y0), (x1, y1) = self.points[i - 1], self.points[i]
        if x1 == x0:
            return y1
        return round(y0 + (y1 - y0) * (score - x0) / (x1 - x0), 6)

    @property
    def hash(self) -> str:
        return content_hash([list(p) for p in self.points])


def fit_isotonic(
    scores: Sequence[float], labels: Sequence[int], *, min_block: int = 1
) -> Calibration:
    """The isotonic (non-decreasing) fit of 0/1 ``labels`` on ``scores``.

    Pool-adjacent-violators: sort by score (equal scores start in one block, so they get one
    probability), then merge neighbouring blocks while a block's mean
    exceeds the next one's. Blocks with fewer than ``min_block`` members are then merged into
    their smaller neighbour (merging neighbours keeps the map non-decreasing), so no step rests
    on a handful of columns. Each block becomes two breakpoints (its lowest and highest score)
    at its mean, so the map is flat inside a block and linear between blocks.
    """
    if len(scores) != len(labels):
        raise ValueError("scores and labels differ in length")
    groups: dict[float, list[int]] = {}
    for score, label in zip(scores, labels, strict=True):
        groups.setdefault(score, []).append(label)
    blocks: list[list[float]] = []  # [sum of labels, count, lowest score, highest score]
    for score in sorted(groups):  # equal scores are pooled before any merge
        blocks.append([float(sum(groups[score])), float(len(groups[score])), score, score])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] >= blocks[-1][0] / blocks[-1][1]:
            total, count, _, high = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += count
            blocks[-1][3] = high
    while len(blocks) > 1 and min(b[1] for b in blocks) < min_block:
        i = min(range(len(blocks)), key=lambda j: blocks[j][1])
        if i == 0:
            j = 1
        elif i == len(blocks) - 1:
            j = i - 1
        else:
            j = i - 1 if blocks[i - 1][1] <= blocks[i + 1][1] else i + 1
        a, b = sorted((i, j))
        blocks[a] = [
            blocks[a][0] + blocks[b][0],
            blocks[a][1] + blocks[b][1],
            blocks[a][2],
            blocks[b][3],
        ]
        del blocks[b]
    points: list[tuple[float, float]] = []
    for total, count, low, high in blocks:
        mean = round(total / count, 6)
        points.append((round(low, 6), mean))
        if high != low:
            points.append((round(high, 6), mean))
    return Calibration(tuple(points))


def _bins(
    probs: Sequence[float], labels: Sequence[int], bins: int
) -> list[tuple[int, float, float]]:
    """Per non-empty equal-width bin: (count, mean confidence, share correct)."""
    grouped: dict[int, list[tuple[float, int]]] = {}
    for p, y in zip(probs, labels, strict=True):
        grouped.setdefault(min(int(p * bins), bins - 1), []).append((p, y))
    out = []
    for b in sorted(grouped):
        members = grouped[b]
        n = len(members)
        out.append((n, sum(p for p, _ in members) / n, sum(y for _, y in members) / n))
    return out


def expected_calibration_error(
    probs: Sequence[float], labels: Sequence[int], bins: int = 10
) -> float:
    """ECE: the size-weighted mean gap between confidence and accuracy over ``bins`` bins."""
    if not probs:
        return 0.0
    total = len(probs)
    gap = sum(n * abs(conf - acc) for n, conf, acc in _bins(probs, labels, bins))
    return round(gap / total, 6)


def brier_score(probs: Sequence[float], labels: Sequence[int]) -> float:
    """The mean squared gap between each confidence and its 0/1 outcome."""
    if not probs:
        return 0.0
    return round(sum((p - y) ** 2 for p, y in zip(probs, labels, strict=True)) / len(probs), 6)


def reliability(
    probs: Sequence[float], labels: Sequence[int], bins: int = 10
) -> list[dict[str, float]]:
    """The reliability curve: per non-empty bin, its range, size, mean confidence, accuracy."""
    return [
        {
            "bin": round(min(int(conf * bins), bins - 1) / bins, 3),
            "count": n,
            "confidence": round(conf, 4),
            "accuracy": round(acc, 4),
        }
        for n, conf, acc in _bins(probs, labels, bins)
    ]


@functools.cache
def bundled_calibrations() -> dict[str, Calibration]:
    """The calibrations shipped with Conduit, per mode (identity maps where none is fit)."""
    import yaml

    if not BUNDLED.exists():
        return {"metadata_only": Calibration(()), "data_mode": Calibration(())}
    doc: dict[str, Any] = yaml.safe_load(BUNDLED.read_text(encoding="utf-8"))
    out: dict[str, Calibration] = {}
    for mode in ("metadata_only", "data_mode"):
        entry = (doc.get("modes") or {}).get(mode) or {}
        try:
            points = tuple((float(x), float(y)) for x, y in entry.get("points", []))
        except (TypeError, ValueError):
            raise ContractError(f"{BUNDLED.name}: {mode} points must be [score, p] pairs") from None
        if any(a[0] > b[0] or a[1] > b[1] for a, b in zip(points, points[1:], strict=False)):
            raise ContractError(f"{BUNDLED.name}: {mode} points must be non-decreasing")
        out[mode] = Calibration(points)
    return out
