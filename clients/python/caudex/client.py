"""The producer's client: enqueue jobs, read them and wait for them over the Caudex HTTP API."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional

from .errors import WaitTimeoutError
from .transport import Transport

FINAL_STATUSES = frozenset({"COMPLETED", "FAILED", "CANCELED"})


@dataclass
class Job:
    """A job as the API shows it; ``data`` holds every field of the answer."""

    id: str
    status: str
    task: Optional[str] = None
    queue: Optional[str] = None
    result: Any = None
    error: Optional[Dict[str, Any]] = None
    progress: Any = None
    attempt: int = 0
    max_attempts: int = 0
    worker: Optional[str] = None
    meta: Dict[str, Any] = field(default_factory=dict)
    data: Dict[str, Any] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        """True once the job is COMPLETED, FAILED or CANCELED."""
        return self.status in FINAL_STATUSES

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> "Job":
        """Builds a Job from an API answer (a job view, or an enqueue's job_id and status)."""
        return cls(
            id=str(data["job_id"]),
            status=str(data["status"]),
            task=data.get("task"),
            queue=data.get("queue"),
            result=data.get("result"),
            error=data.get("error"),
            progress=data.get("progress"),
            attempt=int(data.get("attempt") or 0),
            max_attempts=int(data.get("max_attempts") or 0),
            worker=data.get("worker"),
            meta=dict(data.get("meta") or {}),
            data=dict(data),
        )


class Client:
    """Talks to a Caudex server: ``Client("http://localhost:5000", token)``."""

    def __init__(self, url: str, token: Optional[str], timeout: float = 30.0) -> None:
        self._http = Transport(url, token, timeout)

    def enqueue(
        self,
        task: str,
        payload: Any = None,
        *,
        queue: Optional[str] = None,
        timeout: Optional[float] = None,
        meta: Optional[Mapping[str, Any]] = None,
        max_attempts: Optional[int] = None,
        delay: Optional[float] = None,
        run_at: Optional[str] = None,
        idempotency_key: Optional[str] = None,
        limit_keys: Optional[Mapping[str, str]] = None,
    ) -> Job:
        """Stores a job (``timeout`` and ``delay`` in seconds, ``run_at`` an ISO 8601 time) and returns it.

        ``limit_keys`` puts it under per-key limits by limit name, e.g. ``{"per-project": "42"}``
        (at most 4; docs/limits.md)."""
        body: Dict[str, Any] = {"task": task, "payload": payload}
        if queue is not None:
            body["queue"] = queue
        if timeout is not None:
            body["timeout"] = timeout
        if meta is not None:
            body["meta"] = dict(meta)
        if max_attempts is not None:
            body["max_attempts"] = max_attempts
        if delay is not None:
            body["delay"] = delay
        if run_at is not None:
            body["run_at"] = run_at
        if idempotency_key is not None:
            body["idempotency_key"] = idempotency_key
        if limit_keys is not None:
            body["limit_keys"] = {str(name): str(key) for name, key in limit_keys.items()}
        return Job.from_api(self._http.request("POST", "/jobs", body))

    def get(self, job_id: str) -> Job:
        """The job now; JobNotFoundError for an unknown id."""
        return Job.from_api(self._http.request("GET", f"/jobs/{_quote(job_id)}"))

    def wait(self, job_id: str, timeout: Optional[float] = None, poll_interval: float = 0.25) -> Job:
        """Waits until the job is COMPLETED, FAILED or CANCELED; WaitTimeoutError after ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = 0.005
        while True:
            job = self.get(job_id)
            if job.finished:
                return job
            if deadline is not None and time.monotonic() + delay > deadline:
                raise WaitTimeoutError("WAIT_TIMEOUT", f"Job {job_id} did not finish within {timeout} s (it is {job.status})")
            time.sleep(delay)
            delay = min(poll_interval, delay * 2)

    def cancel(self, job_id: str) -> Job:
        """Cancels a job that has not finished (a running one is told at its worker's next heartbeat)."""
        return Job.from_api(self._http.request("POST", f"/jobs/{_quote(job_id)}/cancel", {}))

    def close(self) -> None:
        """Closes this thread's connection."""
        self._http.close()


def _quote(job_id: str) -> str:
    from urllib.parse import quote

    return quote(job_id, safe="")
