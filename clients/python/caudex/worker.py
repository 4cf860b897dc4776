"""The worker: claims jobs over the Caudex worker protocol, runs their tasks on threads, keeps
their leases with one heartbeat thread, and settles them under their lease tokens. A warm stop
(SIGTERM) claims nothing more, lets running tasks finish for the grace period, then hands the
rest back; a second stop hands them back at once. The rules are the Node worker's:
docs/worker-protocol.md describes them."""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Sequence

from .errors import CaudexError, NonRetryableError, RetryAfter
from .tasks import REGISTRY, Cancelled, Context, TaskRegistry
from .transport import Connection, Transport

log = logging.getLogger("caudex.worker")

DEFAULT_LEASE_MS = 30_000
DEFAULT_CLAIM_WAIT_MS = 20_000
# Longest pause after a failed call to the server before the worker tries again.
_ERROR_BACKOFF_MAX_S = 5.0
# Precision of the worker's own timeout checks (the server enforces timeouts too).
_SWEEP_S = 0.1


def extend_interval_ms(lease_ms: int) -> int:
    """How often leases are extended: every third of the lease, so one failed beat is survived."""
    return max(50, lease_ms // 3)


def lease_start_margin_ms(lease_ms: int) -> int:
    """How much lease a claimed job must surely have left to start (the first extension comes a beat later)."""
    return extend_interval_ms(lease_ms)


class _Running:
    """A claimed job while its task runs."""

    __slots__ = ("job", "token", "ctx", "deadline", "done")

    def __init__(self, job: Dict[str, Any], ctx: Context) -> None:
        self.job = job
        self.token: str = str(job["lease_token"])
        self.ctx = ctx
        self.deadline = time.monotonic() + float(job.get("timeout_ms") or 600_000) / 1000.0
        # Set once the job is settled, timed out, lost or handed back: later outcomes are dropped.
        self.done = False


class Worker:
    """Runs the tasks of ``tasks`` for jobs of ``queues`` (strict priority order)."""

    def __init__(
        self,
        url: str,
        token: Optional[str],
        *,
        tasks: TaskRegistry = REGISTRY,
        name: Optional[str] = None,
        queues: Sequence[str] = ("high", "default"),
        concurrency: int = 4,
        lease_ms: int = DEFAULT_LEASE_MS,
        max_jobs: Optional[int] = None,
        burst: bool = False,
        grace_period: float = 30.0,
        claim_wait_ms: int = DEFAULT_CLAIM_WAIT_MS,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if not queues:
            raise ValueError("queues must name at least one queue")
        self.name = name or f"{socket.gethostname()}-{os.getpid()}"
        self.queues = list(queues)
        self.concurrency = concurrency
        self.lease_ms = lease_ms
        self.max_jobs = max_jobs
        self.burst = burst
        self.grace_period = grace_period
        self.claim_wait_ms = 0 if burst else claim_wait_ms
        self.processed = 0
        self.failed = 0
        self._tasks = tasks
        self._http = Transport(url, token)
        self._incarnation = secrets.token_urlsafe(12)
        self._started_at = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
        self._lock = threading.Condition()
        self._running: Dict[str, _Running] = {}
        self._settling = 0
        self._claimed = 0
        self._stop_requested = threading.Event()
        self._claims_done = threading.Event()
        self._closing = threading.Event()
        self._grace_deadline: Optional[float] = None
        self._claim_conn: Optional[Connection] = None
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="caudex-task")

    # -- lifecycle -------------------------------------------------------------------------

    def run(self) -> None:
        """Registers, runs jobs until stopped (or --max-jobs, or --burst finds the queues empty), then unregisters."""
        answer = self._http.request("POST", "/worker/register", self._describe())
        if answer.get("released"):
            log.warning("released %s job(s) of a previous incarnation of %s", answer["released"], self.name)
        log.info("worker %s running tasks %s on queues %s", self.name, ", ".join(self._tasks.names()), ",".join(self.queues))
        beats = threading.Thread(target=self._keep_leases, name="caudex-heartbeat", daemon=True)
        claims = threading.Thread(target=self._claim_loop, name="caudex-claims", daemon=True)
        beats.start()
        claims.start()
        try:
            self._until_finished()
        finally:
            self._shutdown()
            beats.join(timeout=5)

    def stop(self, grace_period: Optional[float] = None) -> None:
        """Warm stop: nothing more is claimed; running tasks get the grace period. Again: hand them back now."""
        grace = self.grace_period if grace_period is None else grace_period
        if self._stop_requested.is_set():
            grace = 0.0 if grace_period is None else grace_period
        deadline = time.monotonic() + grace
        with self._lock:
            if self._grace_deadline is None or deadline < self._grace_deadline:
                self._grace_deadline = deadline
            self._stop_requested.set()
            self._lock.notify_all()
        # A claim waiting for work ends now: the server hands its jobs to nobody.
        self._http.abort(self._claim_conn)

    def _until_finished(self) -> None:
        while True:
            with self._lock:
                idle = not self._running and self._settling == 0
                if self._stop_requested.is_set():
                    deadline = self._grace_deadline or 0.0
                    if idle or time.monotonic() >= deadline:
                        return
                elif self._claims_done.is_set() and idle:
                    return
                self._lock.wait(0.2)

    def _shutdown(self) -> None:
        self._stop_requested.set()
        self._http.abort(self._claim_conn)
        with self._lock:
            left = [entry for entry in self._running.values() if not entry.done]
            for entry in left:
                entry.done = True
                entry.ctx.stop("stopping")
            self._running.clear()
        self._closing.set()
        for entry in left:
            try:
                self._http.request("POST", f"/worker/jobs/{entry.ctx.job_id}/release", {"lease_token": entry.token})
            except CaudexError as error:
                log.warning("could not hand back job %s: %s", entry.ctx.job_id, error)
        if left:
            log.warning("handed %d running job(s) back to the queue", len(left))
        with self._lock:
            end = time.monotonic() + 10
            while self._settling > 0 and time.monotonic() < end:
                self._lock.wait(0.1)
        try:
            self._http.request("POST", "/worker/unregister", {"worker": self.name, "incarnation": self._incarnation})
        except CaudexError as error:
            log.warning("could not unregister: %s", error)
        self._pool.shutdown(wait=False)
        log.info("worker %s stopped (processed %d, failed %d)", self.name, self.processed, self.failed)

    # -- claiming --------------------------------------------------------------------------

    def _claim_loop(self) -> None:
        delay = 0.1
        try:
            while True:
                free = self._free_slots()
                if free == 0:
                    return
                sent = time.monotonic()
                try:
                    answer = self._claim(free)
                except CaudexError as error:
                    if self._stop_requested.is_set():
                        return
                    log.warning("claim failed; retrying in %.1f s: %s", delay, error)
                    self._stop_requested.wait(delay)
                    delay = min(_ERROR_BACKOFF_MAX_S, delay * 2)
                    continue
                delay = 0.1
                jobs: List[Dict[str, Any]] = answer.get("jobs") or []
                if self._stop_requested.is_set():
                    self._release_all(jobs, "the worker is stopping")
                    return
                age_ms = (time.monotonic() - sent) * 1000 - float(answer.get("claimed_after_ms") or 0)
                if jobs and age_ms >= self.lease_ms - lease_start_margin_ms(self.lease_ms):
                    self._release_all(jobs, "their lease may have expired before they started")
                    continue
                if not jobs:
                    if self.burst and not self._wait_for_running_or_done():
                        return
                    continue
                for job in jobs:
                    self._start(job)
        finally:
            self._claims_done.set()
            with self._lock:
                self._lock.notify_all()

    def _claim(self, limit: int) -> Dict[str, Any]:
        body = {
            "worker": self.name,
            "incarnation": self._incarnation,
            "queues": self.queues,
            "tasks": self._tasks.names(),
            "limit": limit,
            "wait_ms": self.claim_wait_ms,
            "lease_ms": self.lease_ms,
        }
        timeout = self.claim_wait_ms / 1000.0 + 15.0
        # The connection is published so that stop() can cut a long-polled claim short.
        self._claim_conn = self._http.connection(timeout)
        answer: Dict[str, Any] = self._http.request("POST", "/worker/claim", body, timeout=timeout)
        return answer

    def _free_slots(self) -> int:
        """Slots to claim for, waiting for one to free; 0 when the worker claims no more."""
        with self._lock:
            while True:
                if self._stop_requested.is_set():
                    return 0
                left = None if self.max_jobs is None else self.max_jobs - self._claimed
                if left is not None and left <= 0:
                    return 0
                free = self.concurrency - len(self._running)
                if free > 0:
                    return free if left is None else min(free, left)
                self._lock.wait(1.0)

    def _wait_for_running_or_done(self) -> bool:
        """After an empty claim of a burst worker: False when nothing runs (done), else True once something ended."""
        with self._lock:
            if not self._running and self._settling == 0:
                return False
            self._lock.wait(1.0)
            return True

    def _release_all(self, jobs: List[Dict[str, Any]], why: str) -> None:
        for job in jobs:
            log.warning("handing back job %s unstarted: %s", job.get("job_id"), why)
            try:
                self._http.request("POST", f"/worker/jobs/{job['job_id']}/release", {"lease_token": job["lease_token"]})
            except CaudexError as error:
                if error.code != "LEASE_LOST":
                    log.warning("could not hand back job %s: %s", job.get("job_id"), error)

    # -- running ---------------------------------------------------------------------------

    def _start(self, job: Dict[str, Any]) -> None:
        job_id = str(job["job_id"])
        token = str(job["lease_token"])
        ctx = Context(job, lambda value: self._report(job_id, token, value), log)
        entry = _Running(job, ctx)
        with self._lock:
            self._running[job_id] = entry
            self._claimed += 1
        self._pool.submit(self._execute, entry)

    def _report(self, job_id: str, token: str, value: Any) -> None:
        self._http.request("POST", f"/worker/jobs/{job_id}/progress", {"lease_token": token, "progress": value})

    def _execute(self, entry: _Running) -> None:
        job = entry.job
        outcome: Dict[str, Any]
        registered = self._tasks.get(str(job["task"]))
        try:
            if registered is None:
                outcome = {"error": {"code": "UNKNOWN_TASK", "message": f'No task named "{job["task"]}" is registered on worker {self.name}'}, "retryable": False}
            else:
                result = registered(job.get("payload"), entry.ctx)
                outcome = {"result": result}
        except Cancelled as stopped:
            outcome = {"error": {"message": f"The task stopped: job {stopped.reason}"}, "retryable": True}
        except NonRetryableError as error:
            outcome = {"error": _job_error(error), "retryable": False}
        except RetryAfter as later:
            outcome = {"error": {"message": str(later)}, "retryable": True, "retry_after_ms": int(round(later.seconds * 1000))}
        except BaseException as error:  # noqa: BLE001 - a task's failure of any kind fails its attempt
            outcome = {"error": _job_error(error), "retryable": True}
        with self._lock:
            if entry.done:
                return
            entry.done = True
            # The slot is freed before the settlement is sent, so the next claim overlaps it.
            self._running.pop(entry.ctx.job_id, None)
            self._settling += 1
            self._lock.notify_all()
        try:
            self._settle(entry, outcome)
        finally:
            with self._lock:
                self._settling -= 1
                self._lock.notify_all()

    def _settle(self, entry: _Running, outcome: Dict[str, Any]) -> None:
        job_id = entry.ctx.job_id
        try:
            if "result" in outcome:
                try:
                    answer = self._http.request("POST", f"/worker/jobs/{job_id}/complete", {"lease_token": entry.token, "result": outcome["result"]})
                except (TypeError, ValueError) as error:
                    # Not JSON (a set, a NaN): the job fails for good, as a Node task's unstorable result does.
                    answer = self._http.request("POST", f"/worker/jobs/{job_id}/fail", {"lease_token": entry.token, "error": {"message": f"The task's result cannot be stored: {error}"}, "retryable": False})
                if answer.get("status") == "COMPLETED":
                    self.processed += 1
                else:
                    self.failed += 1
            else:
                body = {"lease_token": entry.token, "error": outcome["error"], "retryable": outcome["retryable"]}
                if "retry_after_ms" in outcome:
                    body["retry_after_ms"] = outcome["retry_after_ms"]
                answer = self._http.request("POST", f"/worker/jobs/{job_id}/fail", body)
                if answer.get("status") == "FAILED":
                    self.failed += 1
        except CaudexError as error:
            if error.code == "LEASE_LOST":
                log.warning("lease lost on job %s; its outcome was discarded", job_id)
            elif error.code == "PAYLOAD_TOO_LARGE" and "result" in outcome:
                self._fail_quietly(job_id, entry.token, "The task's result is larger than the server accepts")
            else:
                log.error("could not settle job %s; it runs again when its lease expires: %s", job_id, error)

    def _fail_quietly(self, job_id: str, token: str, message: str) -> None:
        try:
            self._http.request("POST", f"/worker/jobs/{job_id}/fail", {"lease_token": token, "error": {"message": message}, "retryable": False})
            self.failed += 1
        except CaudexError as error:
            log.error("could not fail job %s: %s", job_id, error)

    # -- leases ----------------------------------------------------------------------------

    def _keep_leases(self) -> None:
        interval = extend_interval_ms(self.lease_ms) / 1000.0
        next_beat = time.monotonic() + interval
        while not self._closing.wait(_SWEEP_S):
            self._sweep_timeouts()
            if time.monotonic() >= next_beat:
                next_beat = time.monotonic() + interval
                self._beat()

    def _beat(self) -> None:
        with self._lock:
            held = [entry for entry in self._running.values() if not entry.done]
        body = self._describe()
        body.update(
            {
                "lease_ms": self.lease_ms,
                "leases": [{"job_id": e.ctx.job_id, "lease_token": e.token} for e in held],
                "state": "stopping" if self._stop_requested.is_set() else ("busy" if held else "idle"),
                "processed": self.processed,
                "failed": self.failed,
            }
        )
        try:
            answer = self._http.request("POST", "/worker/heartbeat", body)
        except CaudexError as error:
            # The server may be restarting; leases have slack for a missed beat.
            log.warning("heartbeat failed: %s", error)
            return
        for lost in answer.get("lost") or []:
            self._drop(str(lost["job_id"]), str(lost["reason"]))
        if answer.get("superseded"):
            log.error("another process registered under the name %s; stopping", self.name)
            self.stop(0)

    def _drop(self, job_id: str, reason: str) -> None:
        with self._lock:
            entry = self._running.pop(job_id, None)
            if entry is None or entry.done:
                return
            entry.done = True
            self._lock.notify_all()
        entry.ctx.stop(reason)
        log.warning("job %s %s; the task is told to stop and its outcome will be discarded", job_id, _REASONS.get(reason, reason))

    def _sweep_timeouts(self) -> None:
        now = time.monotonic()
        with self._lock:
            overdue = [e for e in self._running.values() if not e.done and now >= e.deadline]
            for entry in overdue:
                entry.done = True
                self._running.pop(entry.ctx.job_id, None)
            if overdue:
                self._lock.notify_all()
        for entry in overdue:
            entry.ctx.stop("timeout")
            timeout_ms = int(entry.job.get("timeout_ms") or 0)
            try:
                self._http.request("POST", f"/worker/jobs/{entry.ctx.job_id}/fail", {"lease_token": entry.token, "error": {"code": "TIMEOUT", "message": f"Timed out after {timeout_ms} ms"}})
            except CaudexError as error:
                if error.code != "LEASE_LOST":
                    log.warning("could not fail job %s past its timeout: %s", entry.ctx.job_id, error)

    def _describe(self) -> Dict[str, Any]:
        return {
            "worker": self.name,
            "incarnation": self._incarnation,
            "queues": self.queues,
            # Published in the registry: explanations and enqueue warnings read it.
            "tasks": self._tasks.names(),
            "concurrency": self.concurrency,
            "host": socket.gethostname()[:255] or "unknown",
            "pid": os.getpid(),
            "started_at": self._started_at,
        }


_REASONS = {"canceled": "was canceled", "timeout": "timed out", "lost": "was taken over (lease lost)"}


def _job_error(error: BaseException) -> Dict[str, Any]:
    message = str(error) or type(error).__name__
    stack = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    return {"message": message[:65536], "stack": stack[-65536:]}
