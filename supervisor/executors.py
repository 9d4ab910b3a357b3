"""Lane executors: run allow-listed jobs on a lane (§16), on threads or on Redis queues.

One interface, ``LaneExecutor``: ``submit(lane, job, kwargs) -> JobHandle``, ``queue_depth(lane)``,
and ``JobHandle.result(timeout)``, which raises ``TimeoutFailure`` (TIMEOUT) when no result comes
in time. ``job`` is a dotted path looked up in the allow-list ``supervisor.jobs.JOBS`` (never
imported); arguments and results are JSON. Two implementations:

- ``ThreadLaneExecutor`` (no Redis): one thread pool per lane, sizes from ``LanePolicy.workers``
  (default interactive 2, flex 2, batch 1). A thread cannot be stopped, so a job's deadline is
  the caller's ``result(timeout)``; a crash of the process ends its jobs with it, and the run
  resumes from its LangGraph checkpoints.
- ``RedisLaneExecutor`` (``CONDUIT_REDIS_URL`` set): RQ queues ``interactive_fast``, ``flex_bg``
  and ``batch_jobs``, served by ``conduit worker --lane NAME`` processes (``supervisor.worker``).
  The worker stops an attempt at the lane's job deadline (TIMEOUT).

``executor_from_settings(settings)`` picks one.

**At least once.** Both executors retry a transient failure up to ``LanePolicy.max_attempts``
attempts (a deterministic §31 failure never); on Redis a job whose worker was killed is run again
by another worker (see ``supervisor.worker``: heartbeats, then the abandoned-job sweep). So a job
may run twice, and every job in ``supervisor.jobs`` must be idempotent: PostgreSQL checkpoints,
leases and content hashes decide what is done, not the queue.

**Why RQ, not arq.** Measured on this machine (Redis 7.0 on 127.0.0.1, 2 shared cores):

- Dependencies: RQ 3.0.0 installs beside redis-py 8.2 under our ``redis>=5,<9`` pin; arq 0.28
  (maintenance-only) makes pip downgrade redis-py to 5.3.1 (it pins ``redis<6``), holding back
  the client the adapters' cache uses.
- Latency: enqueue -> start on an idle worker 3.2 ms median, 5.0 ms p95; submit -> result
  5.2 ms median, 7.5 ms p95 (200 sequential ``echo_job`` calls). arq starts a job after its
  ``poll_delay`` (0.5 s by default, FIELD_NOTES), a quarter of the interactive p95 by itself.
- A SIGKILLed worker: RQ's weak spot (the job waits in ``StartedJobRegistry`` for minutes) is
  configured away in ``supervisor.worker``: heartbeats while a job runs, a short grace and
  frequent sweeps. Kill -> the re-run starting on another worker: 2.6 s with
  ``--heartbeat 1 --grace 2 --maintenance 1`` (the test's settings), 60.5 s with the defaults
  (bound: heartbeat 10 + grace 30 + sweep 30 = 70 s), whatever the job's length; arq's is
  ``job_timeout + 10 s``, so long batch jobs would recover slowly.
- Shape: RQ is synchronous like the rest of Conduit (arq needs an event loop in every caller),
  and takes a JSON serializer (we never use pickle: reading a payload must not run code).

Errors: every failure is a ``core.errors`` class; Redis and RQ exceptions are translated in one
place (``redis_errors``).
"""

from __future__ import annotations

import json
import math
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, cast
from urllib.parse import urlsplit

from core.errors import (
    ConduitError,
    DeterministicFailure,
    NotFoundError,
    TimeoutFailure,
    TransientError,
    error_for,
)
from supervisor.jobs import JSON, resolve_job
from supervisor.lanes import DEADLINES, LANES, QUEUES

if TYPE_CHECKING:
    from redis import Redis
    from rq import Queue

    from core.contract import Lane
    from core.settings import Settings

__all__ = [
    "DEFAULT_POLICIES",
    "JobHandle",
    "LaneExecutor",
    "LanePolicy",
    "RedisLaneExecutor",
    "ThreadLaneExecutor",
    "executor_from_settings",
    "redis_errors",
]


@dataclass(frozen=True)
class LanePolicy:
    """How one lane runs its jobs.

    Attributes:
        workers: threads of the lane's pool (thread executor only; on Redis, the number of
            ``conduit worker`` processes decides).
        job_timeout_s: how long one attempt may run (enforced by Redis workers).
        max_attempts: attempts of a job that fails transiently or loses its worker.
        result_ttl_s: how long a result (or a failure) is kept on Redis for ``result()``.
    """

    workers: int
    job_timeout_s: float
    max_attempts: int = 3
    result_ttl_s: int = 24 * 3600


#: Default policies: pool sizes 2/2/1 and the §46 job deadlines of ``supervisor.lanes``.
_POOL_SIZES: Mapping[Lane, int] = {"interactive": 2, "flex": 2, "batch": 1}
DEFAULT_POLICIES: Mapping[Lane, LanePolicy] = {
    lane: LanePolicy(workers=size, job_timeout_s=DEADLINES[lane].job_s)
    for lane, size in _POOL_SIZES.items()
}


class JobHandle(Protocol):
    """A submitted job."""

    @property
    def id(self) -> str: ...

    @property
    def lane(self) -> Lane: ...

    @property
    def job(self) -> str: ...

    def done(self) -> bool:
        """True once the job has a final outcome (a result or a failure)."""
        ...

    def result(self, timeout: float) -> JSON:
        """The job's return value, waiting up to ``timeout`` seconds.

        Raises:
            TimeoutFailure: no outcome within ``timeout`` (the job itself goes on).
            ConduitError: the job failed; the error of its §31 code.
        """
        ...


class LaneExecutor(Protocol):
    """Runs allow-listed jobs on lanes."""

    def submit(
        self, lane: Lane, job: str, kwargs: dict[str, JSON], timeout_s: float | None = None
    ) -> JobHandle:
        """Queue ``job`` (a dotted path on the allow-list) with keyword arguments on ``lane``.

        ``timeout_s`` replaces the lane's job deadline for this job (a whole run, say, is
        bounded by its contract's wall-time budgets, not by one prompt's deadline).

        Raises:
            DeterministicFailure: unknown lane, a job not on the allow-list, non-JSON arguments.
            TransientError: the queue cannot be reached.
        """
        ...

    def queue_depth(self, lane: Lane) -> int:
        """Jobs waiting on ``lane`` (queued, not yet started)."""
        ...

    def close(self) -> None:
        """Release threads or connections (running jobs are not stopped)."""
        ...


def _check_lane(lane: str) -> None:
    if lane not in LANES:
        raise DeterministicFailure(
            f"unknown lane {lane!r}: one of {', '.join(LANES)}", field="lane"
        )


def _json_copy(value: Any, what: str) -> Any:
    """``value`` through JSON and back, so threads see what Redis would carry."""
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError) as e:
        raise DeterministicFailure(f"{what} is not JSON: {e}", field=what) from None


def _check_submit(lane: str, job: str, kwargs: dict[str, JSON]) -> dict[str, JSON]:
    _check_lane(lane)
    resolve_job(job)
    copied: dict[str, JSON] = _json_copy(kwargs, "kwargs")
    return copied


# -- threads -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _FutureHandle:
    id: str
    lane: Lane
    job: str
    future: Future[JSON]

    def done(self) -> bool:
        return self.future.done()

    def result(self, timeout: float) -> JSON:
        try:
            return self.future.result(timeout=timeout)
        except TimeoutError:
            raise TimeoutFailure(
                f"job {self.id} ({self.job}) on lane {self.lane} gave no result in {timeout} s"
            ) from None


class ThreadLaneExecutor:
    """In-process lanes: one thread pool per lane.

    Args:
        policies: per-lane policy; lanes left out use ``DEFAULT_POLICIES``.
    """

    def __init__(self, policies: Mapping[Lane, LanePolicy] | None = None) -> None:
        self._policies = {**DEFAULT_POLICIES, **(policies or {})}
        self._pools = {
            lane: ThreadPoolExecutor(p.workers, thread_name_prefix=f"lane-{lane}")
            for lane, p in self._policies.items()
        }
        self._waiting = dict.fromkeys(self._policies, 0)
        self._lock = threading.Lock()

    def submit(
        self, lane: Lane, job: str, kwargs: dict[str, JSON], timeout_s: float | None = None
    ) -> JobHandle:
        # A thread cannot be stopped: the deadline is the caller's ``result(timeout)``.
        payload = _check_submit(lane, job, kwargs)
        with self._lock:
            self._waiting[lane] += 1
        try:
            future = self._pools[lane].submit(self._run, lane, job, payload)
        except RuntimeError as e:  # the pool was shut down
            with self._lock:
                self._waiting[lane] -= 1
            raise DeterministicFailure(f"lane {lane} is closed: {e}") from None
        return _FutureHandle(uuid.uuid4().hex, lane, job, future)

    def _run(self, lane: Lane, job: str, kwargs: dict[str, JSON]) -> JSON:
        with self._lock:
            self._waiting[lane] -= 1
        fn = resolve_job(job)
        attempts = self._policies[lane].max_attempts
        for attempt in range(1, attempts + 1):
            try:
                result: JSON = _json_copy(fn(**kwargs), "result")
                return result
            except ConduitError as e:
                if not e.retryable or attempt == attempts:
                    raise
            except Exception as e:
                if attempt == attempts:
                    raise TransientError(f"job {job} raised {type(e).__name__}: {e}") from e
        raise AssertionError("unreachable")  # pragma: no cover

    def queue_depth(self, lane: Lane) -> int:
        _check_lane(lane)
        with self._lock:
            return self._waiting[lane]

    def close(self) -> None:
        for pool in self._pools.values():
            pool.shutdown(wait=False, cancel_futures=True)


# -- Redis (RQ) ----------------------------------------------------------------------------------


def _where(url: str) -> str:
    """The URL without credentials, for messages."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    return f"{parts.scheme}://{host}:{parts.port or 6379}{parts.path or '/0'}"


@contextmanager
def redis_errors(url: str) -> Iterator[None]:
    """Translate Redis and RQ exceptions into ``core.errors`` (the one place that does)."""
    import redis.exceptions
    from rq.exceptions import InvalidJobOperation, NoSuchJobError

    try:
        yield
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as e:
        raise TransientError(f"Redis at {_where(url)} is unreachable: {e}") from e
    except redis.exceptions.ResponseError as e:
        raise TransientError(f"Redis at {_where(url)} refused a command: {e}") from e
    except (NoSuchJobError, InvalidJobOperation) as e:
        raise NotFoundError(f"no such job on Redis at {_where(url)}: {e}") from e


#: What XREAD returns: [(stream, [(entry id, fields)])].
_Streams = list[tuple[bytes, list[tuple[bytes, dict[bytes, bytes]]]]]
#: RQ result types that end a job (RETRIED does not).
_FINAL = {"SUCCESSFUL", "FAILED", "STOPPED", "MAX_RETRIES_EXCEEDED"}


@dataclass(frozen=True)
class _RqHandle:
    id: str
    lane: Lane
    job: str
    url: str
    connection: Redis

    def done(self) -> bool:
        from rq.job import Job, JobStatus
        from rq.serializers import JSONSerializer

        with redis_errors(self.url):
            status = Job.fetch(self.id, self.connection, JSONSerializer).get_status()
        return status in (JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED)

    def result(self, timeout: float) -> JSON:
        from rq.defaults import RQ_KEY_PREFIX
        from rq.results import Result
        from rq.serializers import JSONSerializer

        deadline = time.monotonic() + timeout
        key, last = f"{RQ_KEY_PREFIX}:results:{self.id}", "0-0"  # Result.get_key, typed
        with redis_errors(self.url):
            while (remaining := deadline - time.monotonic()) > 0:
                block_ms = max(1, int(min(remaining, 1.0) * 1000))
                streams = cast(_Streams, self.connection.xread({key: last}, block=block_ms))
                for _stream, entries in streams or []:
                    for entry_id, payload in entries:
                        last = entry_id.decode()
                        res = Result.restore(
                            self.id, last, payload, self.connection, serializer=JSONSerializer
                        )
                        if res.type.name == "SUCCESSFUL":
                            value: JSON = res.return_value
                            return value
                        if res.type.name in _FINAL:
                            raise self._failure(res.exc_string)
        raise TimeoutFailure(
            f"job {self.id} ({self.job}) on lane {self.lane} gave no result in {timeout} s"
        )

    def _failure(self, exc_string: str | None) -> ConduitError:
        """The error the job recorded (its §31 code), else what RQ says happened."""
        from rq.job import Job
        from rq.serializers import JSONSerializer

        meta = Job.fetch(self.id, self.connection, JSONSerializer).get_meta()
        error = meta.get("error")
        if isinstance(error, dict):
            return error_for(str(error["code"]), str(error["message"]), field=error.get("field"))
        last = (exc_string or "").strip().splitlines()[-1:] or ["no details"]
        return TransientError(f"job {self.id} ({self.job}) failed: {last[0]}")


class RedisLaneExecutor:
    """Lanes on Redis: RQ queues served by ``conduit worker --lane NAME`` processes.

    Args:
        url: the Redis URL (``CONDUIT_REDIS_URL``).
        policies: per-lane policy; lanes left out use ``DEFAULT_POLICIES``.
    """

    def __init__(self, url: str, policies: Mapping[Lane, LanePolicy] | None = None) -> None:
        import redis

        self._url = url
        self._policies = {**DEFAULT_POLICIES, **(policies or {})}
        self._redis: Redis = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)

    def _queue(self, lane: Lane) -> Queue:
        from rq import Queue
        from rq.serializers import JSONSerializer

        return Queue(QUEUES[lane], connection=self._redis, serializer=JSONSerializer)

    def submit(
        self, lane: Lane, job: str, kwargs: dict[str, JSON], timeout_s: float | None = None
    ) -> JobHandle:
        from rq import Retry

        payload = _check_submit(lane, job, kwargs)
        policy = self._policies[lane]
        retries = policy.max_attempts - 1
        with redis_errors(self._url):
            rq_job = self._queue(lane).enqueue_call(
                func=job,
                kwargs=payload,
                timeout=math.ceil(timeout_s or policy.job_timeout_s),
                result_ttl=policy.result_ttl_s,
                failure_ttl=policy.result_ttl_s,
                retry=Retry(max=retries) if retries > 0 else None,
                description=job,
            )
        return _RqHandle(rq_job.id, lane, job, self._url, self._redis)

    def attach(self, job_id: str) -> JobHandle:
        """A handle on a job submitted earlier (by this process or another, before a restart).

        Raises:
            NotFoundError: no such job (never submitted, or its result has expired).
        """
        from rq.job import Job
        from rq.serializers import JSONSerializer

        with redis_errors(self._url):
            rq_job = Job.fetch(job_id, self._redis, JSONSerializer)
        lanes = {queue: lane for lane, queue in QUEUES.items()}
        if rq_job.origin not in lanes:
            raise NotFoundError(f"job {job_id} is on {rq_job.origin!r}, not a lane queue")
        return _RqHandle(
            job_id, lanes[rq_job.origin], str(rq_job.func_name), self._url, self._redis
        )

    def queue_depth(self, lane: Lane) -> int:
        _check_lane(lane)
        with redis_errors(self._url):
            return self._queue(lane).count

    def close(self) -> None:
        self._redis.close()


def executor_from_settings(
    settings: Settings, policies: Mapping[Lane, LanePolicy] | None = None
) -> LaneExecutor:
    """Redis queues when ``CONDUIT_REDIS_URL`` is set, thread pools otherwise."""
    if settings.redis_url:
        return RedisLaneExecutor(settings.redis_url, policies)
    return ThreadLaneExecutor(policies)
