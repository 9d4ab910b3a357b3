"""Lane routing (§4) and lane deadlines (§46): every rule of ``choose_lane``, hints followed and
overridden with their reason, and the deadlines as data."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any, get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.contract import Lane, Role
from core.errors import DeterministicFailure, PolicyBlock
from supervisor.lanes import (
    BATCH_MIN_BYTES,
    BATCH_MIN_ROWS,
    DEADLINES,
    INTERACTIVE_MAX_BYTES,
    INTERACTIVE_MAX_QUEUE,
    INTERACTIVE_MAX_ROWS,
    LANES,
    QUEUES,
    TIGHT_USD_CAP,
    LaneSignals,
    choose_lane,
)

MB = 1024 * 1024


def signals(**changes: Any) -> LaneSignals:
    base = LaneSignals(job_type="run", size_bytes=10_000, role="analyst")
    return dataclasses.replace(base, **changes)


def test_lanes_queues_and_literals_agree() -> None:
    assert LANES == get_args(Lane)
    assert dict(QUEUES) == {
        "interactive": "interactive_fast",
        "flex": "flex_bg",
        "batch": "batch_jobs",
    }
    assert set(DEADLINES) == set(LANES)


def test_a_small_run_is_interactive_with_its_deadlines_and_queue() -> None:
    choice = choose_lane(signals(), None)
    assert choice.lane == "interactive"
    assert choice.queue == "interactive_fast"
    assert choice.deadline_s == DEADLINES["interactive"].job_s
    assert choice.queue_wait_s == DEADLINES["interactive"].queue_wait_s
    assert choice.hint is None and not choice.overridden
    assert choice.reasons == ("small run: interactive",)


@pytest.mark.parametrize(
    ("job_type", "why"),
    [("migration_chunk", "migration chunks"), ("eval", "golden-set evals")],
)
def test_migration_chunks_and_evals_are_batch_and_override_any_faster_hint(
    job_type: str, why: str
) -> None:
    s = signals(job_type=job_type, size_bytes=1)
    assert choose_lane(s, None).lane == "batch"
    for hint in ("interactive", "flex"):
        choice = choose_lane(s, hint)  # type: ignore[arg-type]
        assert (choice.lane, choice.overridden, choice.hint) == ("batch", True, hint)
        assert choice.reasons[-1].startswith(f"lane_hint {hint} overridden: {why}")
    followed = choose_lane(s, "batch")
    assert not followed.overridden and followed.reasons[-1] == "lane_hint batch followed"


@pytest.mark.parametrize(
    ("size", "rows", "lane"),
    [
        (INTERACTIVE_MAX_BYTES, None, "interactive"),
        (INTERACTIVE_MAX_BYTES + 1, None, "flex"),
        (BATCH_MIN_BYTES - 1, None, "flex"),
        (BATCH_MIN_BYTES, None, "batch"),
        (1_000, INTERACTIVE_MAX_ROWS, "interactive"),
        (1_000, INTERACTIVE_MAX_ROWS + 1, "flex"),
        (1_000, BATCH_MIN_ROWS, "batch"),
        (5 * 1024 * MB, None, "batch"),
    ],
)
def test_run_size_sets_the_lane(size: int, rows: int | None, lane: str) -> None:
    choice = choose_lane(signals(size_bytes=size, rows_estimate=rows), None)
    assert choice.lane == lane
    assert choice.queue == QUEUES[choice.lane]


def test_big_sources_override_a_faster_hint_with_the_size_as_reason() -> None:
    choice = choose_lane(signals(size_bytes=250 * MB), "interactive")
    assert choice.lane == "batch" and choice.overridden
    assert choice.reasons == (
        "sources of 250.0 MB reach the batch size",
        "lane_hint interactive overridden: sources of 250.0 MB reach the batch size",
    )


def test_a_medium_run_hinted_interactive_goes_to_flex() -> None:
    choice = choose_lane(signals(size_bytes=20 * MB), "interactive")
    assert (choice.lane, choice.overridden) == ("flex", True)
    assert "above the interactive limit" in choice.reasons[-1]


@pytest.mark.parametrize("hint", ["interactive", "flex", "batch"])
def test_a_hint_at_or_slower_than_the_floor_is_followed(hint: Lane) -> None:
    choice = choose_lane(signals(), hint)
    assert (choice.lane, choice.overridden) == (hint, False)
    assert choice.reasons[-1] == f"lane_hint {hint} followed"


def test_previews_go_to_flex_when_large_and_never_to_batch() -> None:
    assert choose_lane(signals(job_type="preview"), None).lane == "interactive"
    large = choose_lane(signals(job_type="preview", size_bytes=50 * MB), None)
    assert large.lane == "flex" and large.reasons[0].startswith("large preview")
    huge = signals(job_type="preview", size_bytes=10 * BATCH_MIN_BYTES, rows_estimate=10**9)
    assert choose_lane(huge, None).lane == "flex"
    assert choose_lane(huge, "batch").lane == "batch"  # a slower hint is still followed


@pytest.mark.parametrize(
    ("depth", "lane"),
    [
        (0, "interactive"),
        (INTERACTIVE_MAX_QUEUE - 1, "interactive"),
        (INTERACTIVE_MAX_QUEUE, "flex"),
    ],
)
def test_a_deep_interactive_queue_sends_new_work_to_flex(depth: int, lane: str) -> None:
    choice = choose_lane(signals(queue_depth={"interactive": depth, "flex": 500}), "interactive")
    assert choice.lane == lane
    assert choice.overridden is (lane != "interactive")
    if lane == "flex":
        assert choice.reasons[-1] == (
            f"lane_hint interactive overridden: interactive queue holds {depth} jobs "
            f"(limit {INTERACTIVE_MAX_QUEUE})"
        )


def test_a_deep_flex_queue_changes_nothing() -> None:
    assert choose_lane(signals(queue_depth={"flex": 10_000}), None).lane == "interactive"


@pytest.mark.parametrize(
    ("sensitive", "cap", "lane"),
    [
        (True, None, "flex"),  # model work, providers down: off interactive
        (False, None, "interactive"),  # no model work: provider health does not matter
        (True, Decimal("0"), "interactive"),  # a zero cap pays for no model call
    ],
)
def test_unhealthy_providers_push_model_work_to_flex(
    sensitive: bool, cap: Decimal | None, lane: str
) -> None:
    s = signals(sensitive=sensitive, usd_cap=cap, providers_healthy=False)
    choice = choose_lane(s, None)
    assert choice.lane == lane
    if lane == "flex":
        assert choice.reasons[-1].startswith("providers unhealthy")


@pytest.mark.parametrize(
    ("sensitive", "cap", "lane"),
    [
        (True, TIGHT_USD_CAP - Decimal("0.01"), "flex"),
        (True, TIGHT_USD_CAP, "interactive"),
        (True, None, "interactive"),
        (False, Decimal("0.01"), "interactive"),
    ],
)
def test_a_tight_cost_cap_sends_model_work_to_the_cost_optimized_lane(
    sensitive: bool, cap: Decimal | None, lane: str
) -> None:
    choice = choose_lane(signals(sensitive=sensitive, usd_cap=cap), "interactive")
    assert choice.lane == lane
    if lane == "flex":
        assert choice.overridden and "cost cap $0.24 is tight" in choice.reasons[-1]


def test_every_pressure_is_named() -> None:
    s = signals(
        sensitive=True,
        usd_cap=Decimal("0.05"),
        providers_healthy=False,
        queue_depth={"interactive": 9},
    )
    choice = choose_lane(s, None)
    assert choice.lane == "flex" and len(choice.reasons) == 4


def test_pressure_never_moves_batch_work() -> None:
    s = signals(job_type="migration_chunk", providers_healthy=False, sensitive=True)
    assert choose_lane(s, None).lane == "batch"


@pytest.mark.parametrize("job_type", ["run", "eval", "migration_chunk"])
def test_a_viewer_cannot_start_work(job_type: str) -> None:
    with pytest.raises(PolicyBlock, match="§32") as e:
        choose_lane(signals(job_type=job_type, role="viewer"), None)
    assert e.value.field == "role"


@pytest.mark.parametrize("role", ["viewer", "analyst", "operator", "maintainer", "admin"])
def test_role_decides_whether_never_where(role: Role) -> None:
    choice = choose_lane(signals(job_type="preview", role=role), None)
    assert choice.lane == "interactive"


def test_an_unknown_hint_is_refused() -> None:
    with pytest.raises(DeterministicFailure, match="unknown lane_hint"):
        choose_lane(signals(), "fast")  # type: ignore[arg-type]


def test_deadlines_follow_section_46() -> None:
    interactive, flex, batch = (DEADLINES[lane] for lane in LANES)
    assert interactive.job_s == 3.5  # p99 small prompts
    assert interactive.queue_wait_s is not None and interactive.queue_wait_s < 2.0  # under p95
    assert flex.queue_wait_s == 180.0  # queue wait p95 <= 3 min
    assert batch.queue_wait_s is None  # §46 sets none
    assert batch.job_s <= 600.0  # checkpoint MTTR <= 10 min
    assert all("§46" in d.source for d in DEADLINES.values())
    for lane in LANES:
        hinted = choose_lane(signals(), lane)
        assert hinted.deadline_s == DEADLINES[lane].job_s


def test_the_choice_is_a_frozen_value() -> None:
    choice = choose_lane(signals(), None)
    assert choice == choose_lane(signals(), None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        choice.lane = "batch"  # type: ignore[misc]


lanes = st.sampled_from(LANES)


@given(
    job_type=st.sampled_from(["run", "preview", "eval", "migration_chunk"]),
    size=st.integers(0, 10 * BATCH_MIN_BYTES),
    rows=st.none() | st.integers(0, 10 * BATCH_MIN_ROWS),
    sensitive=st.booleans(),
    cap=st.none() | st.decimals(0, 10, places=2),
    healthy=st.booleans(),
    depth=st.integers(0, 10),
    hint=st.none() | lanes,
)
def test_a_hint_only_ever_slows_work_down(
    job_type: Any,
    size: int,
    rows: int | None,
    sensitive: bool,
    cap: Decimal | None,
    healthy: bool,
    depth: int,
    hint: Lane | None,
) -> None:
    s = LaneSignals(
        job_type=job_type,
        size_bytes=size,
        role="operator",
        rows_estimate=rows,
        sensitive=sensitive,
        usd_cap=cap,
        providers_healthy=healthy,
        queue_depth={"interactive": depth},
    )
    unhinted, hinted = choose_lane(s, None), choose_lane(s, hint)
    assert LANES.index(hinted.lane) >= LANES.index(unhinted.lane)
    assert hinted.overridden == (hint is not None and hint != hinted.lane)
    if hint is not None and not hinted.overridden:
        assert hinted.lane == hint
    assert hinted.reasons and all(0 < len(r) <= 140 for r in hinted.reasons)
    assert hinted.queue == QUEUES[hinted.lane]
