"""Lane executors: thread pools per lane, and RQ queues on the machine's Redis served by real
``conduit worker`` processes (a SIGKILLed worker's job runs again on another worker)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from core.contract import Lane
from core.errors import (
    DeterministicFailure,
    PolicyBlock,
    RateLimited,
    TimeoutFailure,
    TransientError,
)
from core.settings import Settings
from supervisor.executors import (
    LaneExecutor,
    LanePolicy,
    RedisLaneExecutor,
    ThreadLaneExecutor,
    executor_from_settings,
)
from supervisor.lanes import LANES, QUEUES
from tests.conftest import CONDUIT

#: Short worker settings: heartbeat 1 s, abandoned 2 s past a missed beat, sweeps every 1 s.
FAST = ["--heartbeat", "1", "--grace", "2", "--maintenance", "1"]


# -- threads -------------------------------------------------------------------------------------


@pytest.fixture
def threads() -> Iterator[ThreadLaneExecutor]:
    ex = ThreadLaneExecutor()
    yield ex
    ex.close()


def test_threads_run_jobs_on_every_lane(threads: ThreadLaneExecutor) -> None:
    handles = [
        threads.submit(lane, "supervisor.jobs.echo_job", {"value": {"lane": lane}})
        for lane in LANES
    ]
    assert [h.result(5) for h in handles] == [{"lane": lane} for lane in LANES]
    assert all(h.done() for h in handles)
    assert [h.lane for h in handles] == list(LANES)


def test_threads_report_queue_depth_per_lane(threads: ThreadLaneExecutor) -> None:
    # batch has one thread by default: one job runs, two wait; interactive is untouched
    handles = [
        threads.submit("batch", "supervisor.jobs.sleep_job", {"seconds": 0.3}) for _ in range(3)
    ]
    time.sleep(0.1)
    assert threads.queue_depth("batch") == 2
    assert threads.queue_depth("interactive") == 0
    assert len({h.result(5)["pid"] for h in handles}) == 1  # type: ignore[index]
    assert threads.queue_depth("batch") == 0


def test_thread_pool_sizes_are_configurable() -> None:
    ex = ThreadLaneExecutor({"batch": LanePolicy(workers=3, job_timeout_s=60)})
    try:
        start = time.monotonic()
        handles = [ex.submit("batch", "supervisor.jobs.sleep_job", {"seconds": 0.4}) for _ in "abc"]
        time.sleep(0.1)
        assert ex.queue_depth("batch") == 0
        for h in handles:
            h.result(5)
        assert time.monotonic() - start < 1.0  # three at once, not one after another
    finally:
        ex.close()


def test_thread_result_timeout_raises_timeout(threads: ThreadLaneExecutor) -> None:
    handle = threads.submit("flex", "supervisor.jobs.sleep_job", {"seconds": 0.5})
    with pytest.raises(TimeoutFailure) as e:
        handle.result(0.05)
    assert e.value.code == "TIMEOUT" and "flex" in e.value.message
    assert handle.result(5)["slept"] == 0.5  # type: ignore[index]


def test_thread_errors_keep_their_code(threads: ThreadLaneExecutor) -> None:
    with pytest.raises(PolicyBlock, match="nope"):
        threads.submit(
            "interactive", "supervisor.jobs.fail_job", {"code": "POLICY_BLOCK", "message": "nope"}
        ).result(5)
    with pytest.raises(RateLimited):
        threads.submit(
            "flex", "supervisor.jobs.fail_job", {"code": "RATE_LIMIT", "message": "slow"}
        ).result(5)


# -- refusals, both executors --------------------------------------------------------------------


@pytest.fixture(params=["threads", "redis"])
def any_executor(request: pytest.FixtureRequest) -> Iterator[LaneExecutor]:
    if request.param == "threads":
        ex: LaneExecutor = ThreadLaneExecutor()
    else:
        ex = RedisLaneExecutor(request.getfixturevalue("redis_url"))
    yield ex
    ex.close()


@pytest.mark.parametrize("job", ["os.system", "subprocess.run", "supervisor.jobs._path", ""])
def test_a_job_not_on_the_allow_list_is_refused(any_executor: LaneExecutor, job: str) -> None:
    with pytest.raises(DeterministicFailure, match="not on the allow-list") as e:
        any_executor.submit("interactive", job, {})
    assert e.value.field == "job"
    assert any_executor.queue_depth("interactive") == 0


def test_unknown_lanes_and_non_json_arguments_are_refused(any_executor: LaneExecutor) -> None:
    with pytest.raises(DeterministicFailure, match="unknown lane"):
        any_executor.submit("fast", "supervisor.jobs.echo_job", {"value": 1})  # type: ignore[arg-type]
    with pytest.raises(DeterministicFailure, match="not JSON"):
        any_executor.submit("flex", "supervisor.jobs.echo_job", {"value": object()})  # type: ignore[dict-item]
    with pytest.raises(DeterministicFailure, match="unknown lane"):
        any_executor.queue_depth("fast")  # type: ignore[arg-type]


def test_executor_from_settings_picks_redis_only_when_configured() -> None:
    assert isinstance(executor_from_settings(Settings(redis_url=None)), ThreadLaneExecutor)
    redis_ex = executor_from_settings(Settings(redis_url="redis://127.0.0.1:1/0"))
    assert isinstance(redis_ex, RedisLaneExecutor)  # no connection is made until it is used
    with pytest.raises(TransientError, match="unreachable"):
        redis_ex.queue_depth("flex")


def test_worker_without_redis_exits_with_a_clear_message() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONDUIT_")}
    done = subprocess.run(
        [str(CONDUIT), "worker", "--lane", "flex"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 17  # DETERMINISTIC_FAILURE
    assert "CONDUIT_REDIS_URL" in done.stderr and "thread pools" in done.stderr


# -- Redis ---------------------------------------------------------------------------------------


Start = Callable[..., subprocess.Popen[str]]


@pytest.fixture
def start_worker(redis_url: str) -> Iterator[Start]:
    """Start ``conduit worker`` processes; any still running at the end are killed."""
    procs: list[subprocess.Popen[str]] = []
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONDUIT_")}
    env["CONDUIT_REDIS_URL"] = redis_url

    def start(lane: Lane, *extra: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [str(CONDUIT), "worker", "--lane", lane, *FAST, *extra],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


def _jobs(stdout: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    return [line for line in lines if line["event"] == "job"]


def _finish(proc: subprocess.Popen[str], timeout: float = 20) -> str:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err
    return out


def _wait_for(path: Path, text: str, count: int = 1, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().count(text) >= count:
            return
        time.sleep(0.02)
    raise AssertionError(f"{path} never held {count} x {text!r}")


@pytest.mark.parametrize("lane", LANES)
def test_each_lane_queue_is_served_by_its_worker(
    redis_url: str, start_worker: Start, lane: Lane
) -> None:
    ex = RedisLaneExecutor(redis_url)
    handle = ex.submit(lane, "supervisor.jobs.echo_job", {"value": {"lane": lane, "n": [1, 2]}})
    assert ex.queue_depth(lane) == 1
    assert all(ex.queue_depth(other) == 0 for other in LANES if other != lane)
    with pytest.raises(TimeoutFailure):
        handle.result(0.2)  # nobody serves the queue yet
    out = _finish(start_worker(lane, "--burst"))
    assert handle.result(5) == {"lane": lane, "n": [1, 2]}
    assert handle.done() and ex.queue_depth(lane) == 0
    (line,) = _jobs(out)
    assert line["job_id"] == handle.id and line["lane"] == lane
    assert line["queue"] == QUEUES[lane] and line["function"] == "supervisor.jobs.echo_job"
    assert line["outcome"] == "finished" and line["error"] is None
    assert isinstance(line["duration_s"], float)


def test_a_sigkilled_workers_job_runs_again_on_another_worker(
    redis_url: str, start_worker: Start, tmp_path: Path
) -> None:
    ex = RedisLaneExecutor(redis_url, {"batch": LanePolicy(workers=1, job_timeout_s=30)})
    marker = tmp_path / "marker"
    first = start_worker("batch")
    handle = ex.submit(
        "batch", "supervisor.jobs.sleep_job", {"seconds": 1.5, "marker_path": str(marker)}
    )
    _wait_for(marker, "start")
    first.kill()  # SIGKILL mid-job: no cleanup, its heartbeats stop
    first.communicate(timeout=10)
    killed_at = time.monotonic()
    second = start_worker("batch")
    result = handle.result(20)
    recovered_s = time.monotonic() - killed_at
    assert result["pid"] == second.pid != first.pid  # type: ignore[index]
    lines = marker.read_text().splitlines()
    assert lines == [f"start {first.pid}", f"start {second.pid}", f"done {second.pid}"]
    assert recovered_s < 15  # heartbeat 1 s + grace 2 s + sweep 1 s + the 1.5 s job
    second.send_signal(signal.SIGTERM)
    (line,) = _jobs(_finish(second))
    assert line["job_id"] == handle.id and line["outcome"] == "finished"


def test_sigterm_lets_the_current_job_finish(
    redis_url: str, start_worker: Start, tmp_path: Path
) -> None:
    ex = RedisLaneExecutor(redis_url)
    marker = tmp_path / "marker"
    worker = start_worker("flex")
    handle = ex.submit(
        "flex", "supervisor.jobs.sleep_job", {"seconds": 1.0, "marker_path": str(marker)}
    )
    queued = ex.submit("flex", "supervisor.jobs.echo_job", {"value": "later"})
    _wait_for(marker, "start")
    worker.send_signal(signal.SIGTERM)
    out = _finish(worker, timeout=10)
    assert handle.result(1)["pid"] == worker.pid  # type: ignore[index]
    assert [line["outcome"] for line in _jobs(out)] == ["finished"]
    assert ex.queue_depth("flex") == 1  # the next job waits for another worker
    _finish(start_worker("flex", "--burst"))
    assert queued.result(5) == "later"


def test_a_second_sigterm_requeues_the_job(
    redis_url: str, start_worker: Start, tmp_path: Path
) -> None:
    ex = RedisLaneExecutor(
        redis_url, {"flex": LanePolicy(workers=1, job_timeout_s=30, max_attempts=1)}
    )
    marker = tmp_path / "marker"
    worker = start_worker("flex")
    handle = ex.submit(
        "flex", "supervisor.jobs.sleep_job", {"seconds": 30, "marker_path": str(marker)}
    )
    _wait_for(marker, "start")
    worker.send_signal(signal.SIGTERM)
    time.sleep(1.1)  # a repeat within 1 s counts as the same signal
    worker.send_signal(signal.SIGTERM)
    out = _finish(worker, timeout=10)
    assert [line["outcome"] for line in _jobs(out)] == ["requeued"]
    assert ex.queue_depth("flex") == 1 and not handle.done()  # back, with its attempt kept


def test_failures_travel_back_with_their_code_and_only_transient_ones_retry(
    redis_url: str, start_worker: Start
) -> None:
    ex = RedisLaneExecutor(
        redis_url, {"interactive": LanePolicy(workers=1, job_timeout_s=5, max_attempts=2)}
    )
    blocked = ex.submit(
        "interactive",
        "supervisor.jobs.fail_job",
        {"code": "POLICY_BLOCK", "message": "masked first"},
    )
    limited = ex.submit(
        "interactive", "supervisor.jobs.fail_job", {"code": "RATE_LIMIT", "message": "slow down"}
    )
    out = _finish(start_worker("interactive", "--burst"))
    with pytest.raises(PolicyBlock, match="masked first"):
        blocked.result(5)
    with pytest.raises(RateLimited, match="slow down"):
        limited.result(5)
    outcomes = [(line["job_id"], line["outcome"], line["error"]) for line in _jobs(out)]
    assert outcomes == [
        (blocked.id, "failed", "POLICY_BLOCK"),
        (limited.id, "retried", "RATE_LIMIT"),
        (limited.id, "failed", "RATE_LIMIT"),
    ]


def test_a_job_past_its_lane_deadline_is_stopped_with_timeout(
    redis_url: str, start_worker: Start
) -> None:
    ex = RedisLaneExecutor(
        redis_url, {"batch": LanePolicy(workers=1, job_timeout_s=1, max_attempts=1)}
    )
    handle = ex.submit("batch", "supervisor.jobs.sleep_job", {"seconds": 20})
    out = _finish(start_worker("batch", "--burst"))
    with pytest.raises(TimeoutFailure, match="deadline of 1 s"):
        handle.result(5)
    assert [line["error"] for line in _jobs(out)] == ["TIMEOUT"]


def test_a_payload_naming_another_function_is_refused_by_the_worker(
    redis_url: str, start_worker: Start
) -> None:
    # Written to the queue directly, past submit's check: the worker looks the name up in the
    # allow-list and never imports it.
    import redis
    from rq import Queue
    from rq.serializers import JSONSerializer

    conn = redis.Redis.from_url(redis_url)
    queue = Queue(QUEUES["flex"], connection=conn, serializer=JSONSerializer)
    job = queue.enqueue_call(func="os.getcwd", kwargs={})
    out = _finish(start_worker("flex", "--burst"))
    forged = RedisLaneExecutor(redis_url).attach(job.id)
    assert (forged.lane, forged.job) == ("flex", "os.getcwd")
    with pytest.raises(DeterministicFailure, match="not on the allow-list"):
        forged.result(5)
    assert [line["error"] for line in _jobs(out)] == ["DETERMINISTIC_FAILURE"]
    conn.close()


def test_concurrency_runs_jobs_side_by_side(
    redis_url: str, start_worker: Start, tmp_path: Path
) -> None:
    ex = RedisLaneExecutor(redis_url)
    marker = tmp_path / "marker"
    handles = [
        ex.submit("flex", "supervisor.jobs.sleep_job", {"seconds": 1.0, "marker_path": str(marker)})
        for _ in range(2)
    ]
    out = _finish(start_worker("flex", "--burst", "--concurrency", "2"), timeout=30)
    pids = {h.result(5)["pid"] for h in handles}  # type: ignore[index]
    assert len(pids) == 2
    words = [line.split()[0] for line in marker.read_text().splitlines()]
    assert words == ["start", "start", "done", "done"]  # both started before either finished
    assert len(_jobs(out)) == 2


def test_redis_result_timeout_raises_timeout(redis_url: str) -> None:
    handle = RedisLaneExecutor(redis_url).submit("batch", "supervisor.jobs.echo_job", {"value": 1})
    start = time.monotonic()
    with pytest.raises(TimeoutFailure) as e:
        handle.result(0.3)
    assert 0.25 < time.monotonic() - start < 2
    assert e.value.code == "TIMEOUT" and handle.id in e.value.message
