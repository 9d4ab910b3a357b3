"""``conduit worker``: serve one lane's Redis queue (RQ), with heartbeats and clean shutdown.

A worker is an RQ ``SimpleWorker`` (the job runs in the worker process: no fork per job, and a
killed worker takes its job down with it instead of leaving an orphan that races the re-run),
with three things RQ does not do by default:

- **Heartbeats while a job runs.** A thread renews the job's ``StartedJobRegistry`` entry every
  ``heartbeat_s`` with a TTL of ``heartbeat_s + grace_s``. If the worker dies (SIGKILL, OOM, a lost
  machine) the entry lapses after at most that long, and the next registry sweep of any worker on
  the lane (every ``maintenance_s``; at once when a worker starts) re-queues the job while it has
  attempts left (``Retry`` on the enqueue). RQ's own TTL is the job timeout + 60 s and its sweep
  runs every 10 minutes, too slow for the §46 batch MTTR of 10 minutes.
- **An allow-list.** Jobs are ``AllowListedJob``: the function is looked up in
  ``supervisor.jobs.JOBS`` (never imported), positional arguments, instances, callbacks and
  webhooks named by a payload are refused or ignored, and payloads are JSON (never pickle).
- **§31 codes.** A job that raises records its code in the job's meta so ``JobHandle.result``
  raises the same ``core.errors`` class; a deterministic failure is not retried.

Signals: the first SIGTERM (or SIGINT) lets the current job finish, then the worker exits; a
second one stops the job at once and puts it back on its queue (without using an attempt). One
JSON line per job goes to stdout: ``{"event": "job", "job_id", "lane", "queue", "function",
"duration_s", "outcome", "error", "worker", "pid"}``; outcome is finished, failed, retried or
requeued.

``--concurrency N`` runs N worker processes under one parent, which forwards signals and, unless
``--burst``, restarts a worker that dies.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from types import FrameType
from typing import TYPE_CHECKING, Any

from rq import Queue, SimpleWorker
from rq.exceptions import InvalidJobOperation
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer
from rq.timeouts import JobTimeoutException
from rq.utils import now
from rq.worker import WorkerStatus

from core.errors import ConduitError, DeterministicFailure
from supervisor.executors import redis_errors
from supervisor.jobs import resolve_job
from supervisor.lanes import LANES, QUEUES

if TYPE_CHECKING:
    from rq.executions import Execution

    from core.contract import Lane

__all__ = ["AllowListedJob", "LaneWorker", "WorkerConfig", "run_worker"]


@dataclass(frozen=True)
class WorkerConfig:
    """How to run ``conduit worker``.

    Attributes:
        url: the Redis URL.
        lane: the lane whose queue to serve.
        burst: quit when the queue is empty.
        concurrency: worker processes.
        heartbeat_s: seconds between heartbeats of a running job.
        grace_s: how long past a missed heartbeat a job counts as abandoned.
        maintenance_s: seconds between sweeps for abandoned jobs.
    """

    url: str
    lane: Lane
    burst: bool = False
    concurrency: int = 1
    heartbeat_s: int = 10
    grace_s: int = 30
    maintenance_s: int = 30

    def __post_init__(self) -> None:
        if self.lane not in LANES:
            raise DeterministicFailure(
                f"unknown lane {self.lane!r}: one of {', '.join(LANES)}", field="--lane"
            )
        for name in ("concurrency", "heartbeat_s", "grace_s", "maintenance_s"):
            if getattr(self, name) < 1:
                raise DeterministicFailure(f"{name} must be at least 1", field=name)


class AllowListedJob(Job):
    """An RQ job that only runs allow-listed functions and records §31 codes when it fails."""

    @property
    def func(self) -> Any:
        if self.instance is not None or self.args:
            raise DeterministicFailure("a job takes keyword arguments only", field="job")
        return resolve_job(str(self.func_name))

    def restore(self, raw_data: Any) -> Any:
        restored = super().restore(raw_data)
        # Conduit sets no callbacks or webhooks; a payload that names some gets them dropped,
        # so nothing it names is imported, called or contacted.
        self._success_callback_name = None
        self._failure_callback_name = None
        self._stopped_callback_name = None
        self.webhooks = []
        return restored

    def perform(self) -> Any:
        if self.meta.pop("error", None) is not None:
            self.save_meta()  # type: ignore[no-untyped-call]
        try:
            result = super().perform()
            json.dumps(result, allow_nan=False)
            return result
        except ConduitError as e:
            self._note(e.code, e.message, e.field)
            if not e.retryable:
                self.retries_left = 0
            raise
        except JobTimeoutException:
            self._note("TIMEOUT", f"job {self.func_name} ran past its deadline of {self.timeout} s")
            raise
        except (TypeError, ValueError) as e:
            self._note("DETERMINISTIC_FAILURE", f"job {self.func_name}: result is not JSON: {e}")
            self.retries_left = 0
            raise
        except Exception as e:
            self._note("TRANSIENT_ERROR", f"job {self.func_name} raised {type(e).__name__}: {e}")
            raise

    def _note(self, code: str, message: str, field: str | None = None) -> None:
        self.meta["error"] = {"code": code, "message": message, "field": field}
        self.save_meta()  # type: ignore[no-untyped-call]


_OUTCOMES = {
    JobStatus.FINISHED: "finished",
    JobStatus.FAILED: "failed",
    JobStatus.STOPPED: "failed",
    JobStatus.QUEUED: "retried",
    JobStatus.SCHEDULED: "retried",
}


class LaneWorker(SimpleWorker):
    """A ``SimpleWorker`` with heartbeats while a job runs, a short abandon grace, frequent
    sweeps, a cold stop that requeues, and one JSON line per job."""

    def __init__(self, config: WorkerConfig, **kwargs: Any) -> None:
        self.lane_config = config  # before RQ's __init__, which reads dequeue_timeout
        self._cold_stop = False
        super().__init__(
            job_monitoring_interval=config.heartbeat_s,
            maintenance_interval=config.maintenance_s,
            **kwargs,
        )

    def subscribe(self) -> None:
        # RQ's pub/sub command channel (remote stop/kill from the `rq` CLI) stays off: Conduit
        # sends no such commands, and with redis-py 8 stopping its thread (``stop()`` joins with
        # no timeout while ``get_message`` waits up to 60 s) made every worker exit hang a minute.
        self.pubsub_thread = None

    @property
    def dequeue_timeout(self) -> int:
        # Wake up for the abandoned-job sweep even when the queue stays empty.
        return max(1, min(self.worker_ttl - 15, self.lane_config.maintenance_s))

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        return int(self.job_monitoring_interval) + self.lane_config.grace_s

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        # RQ raises StopRequested from the handler when idle and sets the flag only when busy;
        # set it always, so an exception swallowed wherever the signal lands still stops the loop.
        self._stop_requested = True
        super().request_stop(signum, frame)  # type: ignore[no-untyped-call]

    def request_force_stop(self, signum: int, frame: FrameType | None) -> None:
        since = self._shutdown_requested_date
        if since is not None and now() - since < timedelta(seconds=1):
            return  # the same signal twice (a pool and a terminal): RQ ignores it too
        self._cold_stop = True
        super().request_force_stop(signum, frame)

    def handle_job_failure(self, job: Job, queue: Queue, *args: Any, **kwargs: Any) -> None:
        if self._cold_stop:
            job.retries_left = (job.retries_left or 0) + 1  # back on the queue, attempt kept
        super().handle_job_failure(job, queue, *args, **kwargs)

    def execute_job(self, job: Job, queue: Queue) -> None:
        started = time.monotonic()
        execution = self.prepare_execution(job)
        stop = threading.Event()
        beat = threading.Thread(
            target=self._beat, args=(job, execution, stop), name="heartbeat", daemon=True
        )
        beat.start()
        try:
            self.perform_job(job, queue, execution)
        finally:
            stop.set()
            beat.join()
        self._log_job(job, queue, time.monotonic() - started)
        self.set_state(WorkerStatus.IDLE)  # after the log line: an idle worker stops at SIGTERM

    def _beat(self, job: Job, execution: Execution, stop: threading.Event) -> None:
        while not stop.wait(self.job_monitoring_interval):
            try:
                self.maintain_heartbeats(job, execution)
            except Exception as e:  # a missed beat is retried; the grace absorbs a few
                self.log.warning("heartbeat of job %s failed: %s", job.id, e)

    def _log_job(self, job: Job, queue: Queue, duration_s: float) -> None:
        try:
            status = job.get_status(refresh=True)
        except InvalidJobOperation:  # deleted already (a result TTL of 0)
            status = None
        outcome = _OUTCOMES.get(status, str(status)) if status else "finished"
        if outcome == "retried" and self._cold_stop:
            outcome = "requeued"
        error = job.meta.get("error")
        line = {
            "event": "job",
            "job_id": job.id,
            "lane": self.lane_config.lane,
            "queue": queue.name,
            "function": job.func_name,
            "duration_s": round(duration_s, 4),
            "outcome": outcome,
            "error": error.get("code")
            if isinstance(error, dict) and outcome != "finished"
            else None,
            "worker": self.name,
            "pid": os.getpid(),
        }
        _emit(line)


def _emit(line: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(line, sort_keys=True) + "\n")
    sys.stdout.flush()


def _serve(config: WorkerConfig) -> None:
    """Run one worker in this process until it stops."""
    import redis

    with redis_errors(config.url):
        connection = redis.Redis.from_url(config.url)
        queue = Queue(
            QUEUES[config.lane],
            connection=connection,
            serializer=JSONSerializer,
            job_class=AllowListedJob,
        )
        worker = LaneWorker(
            config,
            queues=[queue],
            connection=connection,
            serializer=JSONSerializer,
            job_class=AllowListedJob,
            log_job_description=False,
        )
        _emit(
            {
                "event": "worker_start",
                "lane": config.lane,
                "queue": queue.name,
                "worker": worker.name,
                "pid": os.getpid(),
                "burst": config.burst,
            }
        )
        worker.work(burst=config.burst, logging_level="WARNING")
        _emit({"event": "worker_stop", "worker": worker.name, "pid": os.getpid()})


def run_worker(config: WorkerConfig) -> None:
    """Serve ``config.lane``'s queue with ``config.concurrency`` worker processes.

    Returns when the workers stop: after SIGTERM/SIGINT, or in burst mode when the queue is empty.

    Raises:
        TransientError: Redis cannot be reached.
    """
    if config.concurrency == 1:
        _serve(config)
        return
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_serve, args=(config,)) for _ in range(config.concurrency)]
    stopping = False

    def forward(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for p in procs:
            if p.pid is not None and p.exitcode is None:
                os.kill(p.pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    for p in procs:
        p.start()
    while procs:
        for p in list(procs):
            p.join(timeout=0.5)
            if p.exitcode is None:
                continue
            procs.remove(p)
            if not stopping and not config.burst:
                time.sleep(1)  # a worker that keeps dying (Redis down) must not spin
                again = ctx.Process(target=_serve, args=(config,))
                again.start()
                procs.append(again)
