"""Calibration of domain scores: the isotonic fit, its reading, and the calibration measures."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from core.errors import ContractError
from specialists.domains import calibration as calibration_module
from specialists.domains.calibration import (
    Calibration,
    brier_score,
    bundled_calibrations,
    expected_calibration_error,
    fit_isotonic,
    reliability,
)

BundledAt = Callable[[str | None], Path]
GRID = [i / 200 for i in range(-20, 221)]  # -0.1 .. 1.1, past both ends of any fit


def _random_set(seed: int, n: int) -> tuple[list[float], list[int]]:
    rng = random.Random(seed)
    scores = [rng.random() for _ in range(n)]
    labels = [int(rng.random() < s) for s in scores]
    return scores, labels


def _non_decreasing(values: list[float]) -> bool:
    return all(a <= b for a, b in zip(values, values[1:], strict=False))


def _blocks(cal: Calibration) -> list[tuple[float, float, float]]:
    """(lowest score, highest score, probability) per step. PAV leaves block means strictly
    increasing, and merging neighbours keeps them so, so each distinct probability is one block."""
    out: list[tuple[float, float, float]] = []
    for x, y in cal.points:
        if out and out[-1][2] == y:
            out[-1] = (out[-1][0], x, y)
        else:
            out.append((x, x, y))
    return out


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("min_block", [1, 8])
def test_fit_is_non_decreasing_on_random_data(seed: int, min_block: int) -> None:
    scores, labels = _random_set(seed, 300)
    cal = fit_isotonic(scores, labels, min_block=min_block)
    xs = [x for x, _ in cal.points]
    ys = [y for _, y in cal.points]
    assert xs == sorted(xs)
    assert _non_decreasing(ys)
    assert all(0.0 <= y <= 1.0 for y in ys)
    assert _non_decreasing([cal(s) for s in GRID])


def test_fit_does_not_depend_on_input_order() -> None:
    scores, labels = _random_set(11, 200)
    pairs = list(zip(scores, labels, strict=True))
    random.Random(12).shuffle(pairs)
    shuffled = fit_isotonic([s for s, _ in pairs], [y for _, y in pairs], min_block=4)
    assert shuffled == fit_isotonic(scores, labels, min_block=4)


def _reference_isotonic(scores: list[float], labels: list[int]) -> list[tuple[float, float]]:
    """Textbook PAV with ties pooled first: (score, fitted probability) per distinct score."""
    groups: dict[float, list[int]] = {}
    for s, y in zip(scores, labels, strict=True):
        groups.setdefault(s, []).append(y)
    blocks: list[list[float]] = []  # [sum, count, first score index, last score index]
    xs = sorted(groups)
    for i, x in enumerate(xs):
        blocks.append([float(sum(groups[x])), float(len(groups[x])), i, i])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] >= blocks[-1][0] / blocks[-1][1]:
            total, count, _, last = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += count
            blocks[-1][3] = last
    fitted = {}
    for total, count, first, last in blocks:
        for i in range(int(first), int(last) + 1):
            fitted[xs[i]] = round(total / count, 6)
    return sorted(fitted.items())


def test_tied_scores_get_one_probability() -> None:
    rng = random.Random(5)
    scores = [rng.choice([0.1, 0.3, 0.5, 0.7, 0.9]) for _ in range(200)]
    labels = [int(rng.random() < s) for s in scores]
    cal = fit_isotonic(scores, labels)
    xs = [x for x, _ in cal.points]
    assert xs == sorted(set(xs))  # no score has two breakpoints (two probabilities)
    # a group of ties alone is its share of positives
    assert fit_isotonic([0.5, 0.5, 0.5], [1, 0, 1]).points == ((0.5, 0.666667),)


def test_tied_scores_are_pooled_before_violators_are_merged() -> None:
    # Ties at 0.5 hold 0, 1, 1 -> 2/3; the 0.3 column (0) and 0.9 column (1) stay apart, since
    # 0 < 2/3 < 1 is already non-decreasing. Squared error 6/9; the fit gives 0.5 for 0.3..0.5
    # (error 1.0).
    cal = fit_isotonic([0.3, 0.5, 0.5, 0.5, 0.9], [0, 1, 0, 1, 1])
    assert cal.points == ((0.3, 0.0), (0.5, 0.666667), (0.9, 1.0))


def test_fit_with_ties_equals_textbook_pav() -> None:
    rng = random.Random(5)
    scores = [rng.choice([0.1, 0.3, 0.5, 0.7, 0.9]) for _ in range(200)]
    labels = [int(rng.random() < s) for s in scores]
    cal = fit_isotonic(scores, labels)
    assert [(x, cal(x)) for x in sorted(set(scores))] == _reference_isotonic(scores, labels)


def test_fit_without_ties_equals_textbook_pav() -> None:
    rng = random.Random(9)
    scores = [k / 10_000 for k in rng.sample(range(1, 10_000), 300)]
    labels = [int(rng.random() < s) for s in scores]
    cal = fit_isotonic(scores, labels)
    assert [(x, cal(x)) for x in sorted(scores)] == _reference_isotonic(scores, labels)


def test_min_block_merges_the_small_block_into_its_neighbour() -> None:
    # PAV on labels 0 | 1 0 | 1 1 1 gives blocks [0.1] mean 0 (1 member), [0.2-0.3] mean 0.5
    # (2), [0.4-0.6] mean 1 (3). With min_block=3 the first block (the smallest, at the left
    # end) merges into [0.2-0.3]: [0.1-0.3] holds 1 positive of 3 -> 0.333333.
    scores = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
    labels = [0, 1, 0, 1, 1, 1]
    assert fit_isotonic(scores, labels).points == (
        (0.1, 0.0),
        (0.2, 0.5),
        (0.3, 0.5),
        (0.4, 1.0),
        (0.6, 1.0),
    )
    assert fit_isotonic(scores, labels, min_block=3).points == (
        (0.1, 0.333333),
        (0.3, 0.333333),
        (0.4, 1.0),
        (0.6, 1.0),
    )


@pytest.mark.parametrize("seed", [21, 22, 23])
@pytest.mark.parametrize("min_block", [5, 20, 60])
def test_every_block_has_at_least_min_block_members(seed: int, min_block: int) -> None:
    rng = random.Random(seed)
    # distinct scores exact to 4 places (the points are rounded to 6), so a range counts them
    scores = [k / 10_000 for k in rng.sample(range(1, 10_000), 250)]
    labels = [int(rng.random() < s) for s in scores]
    cal = fit_isotonic(scores, labels, min_block=min_block)
    sizes = [sum(low <= s <= high for s in scores) for low, high, _ in _blocks(cal)]
    assert sum(sizes) == len(scores)
    assert min(sizes) >= min_block
    # and each step is the share of positives among its members
    for low, high, p in _blocks(cal):
        members = [y for s, y in zip(scores, labels, strict=True) if low <= s <= high]
        assert p == round(sum(members) / len(members), 6)


def test_min_block_larger_than_the_data_gives_one_flat_step() -> None:
    cal = fit_isotonic([0.1, 0.4, 0.8], [0, 1, 1], min_block=10)
    assert {y for _, y in cal.points} == {0.666667}


def test_reading_interpolates_between_steps_and_clamps_at_the_ends() -> None:
    cal = Calibration(((0.2, 0.1), (0.6, 0.5), (1.0, 0.9)))
    assert cal(0.4) == 0.3  # halfway from (0.2, 0.1) to (0.6, 0.5)
    assert cal(0.7) == 0.6  # a quarter of the way from (0.6, 0.5) to (1.0, 0.9)
    assert cal(0.6) == 0.5  # on a breakpoint
    assert cal(0.2) == 0.1
    assert cal(0.0) == 0.1  # below the first breakpoint: its probability
    assert cal(-3.0) == 0.1
    assert cal(1.0) == 0.9
    assert cal(1.7) == 0.9  # above the last: its probability


def test_a_fitted_map_is_flat_inside_a_block() -> None:
    cal = fit_isotonic([0.2, 0.3, 0.6, 0.7], [0, 0, 1, 1])
    assert cal(0.25) == 0.0
    assert cal(0.65) == 1.0
    assert cal(0.45) == 0.5  # linear between the blocks' edges 0.3 and 0.6


def test_the_empty_calibration_is_the_identity() -> None:
    identity = Calibration(())
    assert identity(0.37) == 0.37
    assert identity(0.0) == 0.0
    assert identity(1.0) == 1.0
    assert identity(0.1234567) == 0.123457


def test_fit_refuses_scores_and_labels_of_different_lengths() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        fit_isotonic([0.1, 0.2], [1])


def test_the_hash_names_the_points() -> None:
    a = Calibration(((0.2, 0.1), (0.6, 0.5)))
    assert a.hash == Calibration(((0.2, 0.1), (0.6, 0.5))).hash
    assert a.hash != Calibration(((0.2, 0.1), (0.6, 0.6))).hash
    assert a.hash != Calibration(()).hash


def test_ece_by_hand() -> None:
    # Bin 9 holds 0.9, 0.9 with outcomes 1, 0: confidence 0.9, accuracy 0.5, gap 0.4.
    # Bin 1 holds 0.1, 0.1 with outcomes 0, 0: confidence 0.1, accuracy 0.0, gap 0.1.
    # ECE = (2 * 0.4 + 2 * 0.1) / 4 = 0.25.
    assert expected_calibration_error([0.9, 0.9, 0.1, 0.1], [1, 0, 0, 0]) == 0.25
    # bins=2: 0.6 and 0.8 share [0.5, 1], outcomes 1, 0: confidence 0.7, accuracy 0.5 -> 0.2.
    # bins=10: they part: |0.6 - 1| = 0.4 and |0.8 - 0| = 0.8 -> (0.4 + 0.8) / 2 = 0.6.
    assert expected_calibration_error([0.6, 0.8], [1, 0], bins=2) == 0.2
    assert expected_calibration_error([0.6, 0.8], [1, 0], bins=10) == 0.6
    # Over- and under-confidence in one bin cancel: 0.55 right, 0.55 wrong -> acc 0.5, gap 0.05.
    assert expected_calibration_error([0.55, 0.55], [1, 0]) == 0.05
    assert expected_calibration_error([], []) == 0.0


def test_brier_by_hand() -> None:
    # (0.8 - 1)^2 + (0.3 - 0)^2 + (0.5 - 1)^2 = 0.04 + 0.09 + 0.25 = 0.38; / 3 = 0.126667.
    assert brier_score([0.8, 0.3, 0.5], [1, 0, 1]) == 0.126667
    assert brier_score([1.0, 0.0], [0, 1]) == 1.0  # certain and wrong, every time
    assert brier_score([0.5] * 4, [1, 0, 1, 0]) == 0.25
    assert brier_score([], []) == 0.0


def test_reliability_by_hand() -> None:
    # bin 0.0: [0.05] -> 0 right; bin 0.1: [0.15, 0.12] -> mean 0.135, one right of two;
    # bin 0.9: [0.95, 1.0] (1.0 falls in the last bin, not an eleventh) -> mean 0.975, both right.
    # Bins 0.2 .. 0.8 hold nothing and are left out.
    assert reliability([0.05, 0.15, 0.12, 0.95, 1.0], [0, 1, 0, 1, 1]) == [
        {"bin": 0.0, "count": 1, "confidence": 0.05, "accuracy": 0.0},
        {"bin": 0.1, "count": 2, "confidence": 0.135, "accuracy": 0.5},
        {"bin": 0.9, "count": 2, "confidence": 0.975, "accuracy": 1.0},
    ]
    assert reliability([], []) == []


def test_a_calibrated_set_has_a_small_ece_and_an_overconfident_one_a_large_ece() -> None:
    rng = random.Random(2026)
    truth = [rng.random() for _ in range(20_000)]
    labels = [int(rng.random() < p) for p in truth]
    calibrated = expected_calibration_error(truth, labels)
    assert calibrated < 0.05
    # The same outcomes reported with near-certainty: right about 60% of the time at 0.99.
    rng = random.Random(2027)
    truth = [0.3 + 0.4 * rng.random() for _ in range(20_000)]
    labels = [int(rng.random() < p) for p in truth]
    overconfident = [0.99 if p >= 0.5 else 0.01 for p in truth]
    assert expected_calibration_error(overconfident, labels) > 0.2
    assert brier_score(overconfident, labels) > brier_score(truth, labels)


def test_refitting_an_overconfident_set_calibrates_it() -> None:
    rng = random.Random(7)
    truth = [rng.random() for _ in range(5_000)]
    labels = [int(rng.random() < p) for p in truth]
    raw = [min(1.0, p * 1.6) for p in truth]  # a score that overstates, monotone in the truth
    before = expected_calibration_error(raw, labels)
    cal = fit_isotonic(raw, labels, min_block=50)
    after = expected_calibration_error([cal(s) for s in raw], labels)
    assert before > 0.1
    assert after < 0.05


def test_bundled_calibrations_load_both_modes_non_decreasing() -> None:
    cals = bundled_calibrations()
    assert set(cals) == {"metadata_only", "data_mode"}
    for cal in cals.values():
        assert cal.points  # the shipped file fits both modes
        xs = [x for x, _ in cal.points]
        ys = [y for _, y in cal.points]
        assert _non_decreasing(xs)
        assert _non_decreasing(ys)
        assert all(0.0 <= y <= 1.0 for y in ys)
        assert _non_decreasing([cal(s) for s in GRID])


@pytest.fixture
def bundled_at(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[BundledAt]:
    """Point ``bundled_calibrations`` at a file in tmp_path (and forget the cached read)."""

    def at(text: str | None) -> Path:
        path = tmp_path / "calibration_v1.yaml"
        if text is not None:
            path.write_text(text, encoding="utf-8")
        monkeypatch.setattr(calibration_module, "BUNDLED", path)
        bundled_calibrations.cache_clear()
        return path

    yield at
    bundled_calibrations.cache_clear()


def test_without_a_bundled_file_both_modes_are_the_identity(bundled_at: BundledAt) -> None:
    bundled_at(None)
    cals = bundled_calibrations()
    assert cals == {"metadata_only": Calibration(()), "data_mode": Calibration(())}
    assert cals["data_mode"](0.42) == 0.42


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ("[[0.2, 0.5], [0.6, 0.4]]", "non-decreasing"),  # probability falls
        ("[[0.6, 0.1], [0.2, 0.5]]", "non-decreasing"),  # scores out of order
        ("[[0.2, x]]", "pairs"),
        ("[0.2, 0.5]", "pairs"),
    ],
)
def test_a_bad_bundled_file_is_a_contract_error(
    bundled_at: BundledAt, points: str, message: str
) -> None:
    bundled_at(f"version: 1\nmodes:\n  data_mode:\n    points: {points}\n")
    with pytest.raises(ContractError, match=message) as e:
        bundled_calibrations()
    assert e.value.code == "DETERMINISTIC_FAILURE"
    assert "data_mode" in e.value.message
