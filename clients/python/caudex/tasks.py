"""Tasks and what they receive: ``@task("name")`` registers a top-level function, which is called
with the job's payload and (when it takes a second argument) its Context."""

from __future__ import annotations

import inspect
import logging
import threading
from typing import Any, Callable, Dict, List, Mapping, Optional, TypeVar

from .errors import CaudexError

TaskFunction = Callable[..., Any]
F = TypeVar("F", bound=TaskFunction)


class Cancelled(Exception):
    """Raised by ``Context.check()`` once the job was canceled, timed out or lost its lease."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"job {reason}")
        self.reason = reason


class TaskRegistry:
    """Tasks by name."""

    def __init__(self) -> None:
        self._tasks: Dict[str, "RegisteredTask"] = {}

    def add(self, name: str, fn: TaskFunction) -> None:
        if name in self._tasks and self._tasks[name].fn is not fn:
            raise ValueError(f"task {name!r} is registered twice")
        self._tasks[name] = RegisteredTask(name, fn)

    def get(self, name: str) -> Optional["RegisteredTask"]:
        return self._tasks.get(name)

    def names(self) -> List[str]:
        return sorted(self._tasks)


class RegisteredTask:
    """A task function and whether it takes a context."""

    def __init__(self, name: str, fn: TaskFunction) -> None:
        self.name = name
        self.fn = fn
        try:
            params = [p for p in inspect.signature(fn).parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
            varargs = any(p.kind == p.VAR_POSITIONAL for p in inspect.signature(fn).parameters.values())
            self.takes_context = varargs or len(params) >= 2
        except (TypeError, ValueError):
            self.takes_context = True

    def __call__(self, payload: Any, ctx: "Context") -> Any:
        return self.fn(payload, ctx) if self.takes_context else self.fn(payload)


#: The tasks registered with ``@task`` (the worker runs these unless given another registry).
REGISTRY = TaskRegistry()


def task(name: str, registry: Optional[TaskRegistry] = None) -> Callable[[F], F]:
    """Registers the decorated function as the task ``name``: ``@task("generate_wiki")``."""

    def register(fn: F) -> F:
        (registry or REGISTRY).add(name, fn)
        return fn

    return register


class Context:
    """What a running task can ask and do: its job, progress reports, and whether to stop."""

    def __init__(
        self,
        job: Mapping[str, Any],
        report: Callable[[Any], None],
        logger: logging.Logger,
    ) -> None:
        self.job_id: str = str(job["job_id"])
        self.task: str = str(job["task"])
        self.queue: str = str(job.get("queue", ""))
        self.attempt: int = int(job.get("attempt") or 1)
        self.max_attempts: int = int(job.get("max_attempts") or 1)
        self.meta: Dict[str, Any] = dict(job.get("meta") or {})
        self.timeout: float = float(job.get("timeout_ms") or 0) / 1000.0
        self.log = logging.LoggerAdapter(logger, {"job_id": self.job_id, "task": self.task})
        self._report = report
        self._stop = threading.Event()
        self._reason: Optional[str] = None

    @property
    def cancelled(self) -> bool:
        """True once the job was canceled, timed out, lost its lease, or the worker is stopping now."""
        return self._stop.is_set()

    @property
    def cancel_reason(self) -> Optional[str]:
        """Why the task should stop: "canceled", "timeout", "lost" or "stopping"; None while it may go on."""
        return self._reason

    def check(self) -> None:
        """Raises Cancelled when the task should stop; call it between steps of long work."""
        if self._stop.is_set():
            raise Cancelled(self._reason or "canceled")

    def sleep(self, seconds: float) -> None:
        """Sleeps up to ``seconds``, waking at once (with Cancelled) when the task should stop."""
        if self._stop.wait(seconds):
            raise Cancelled(self._reason or "canceled")

    def progress(self, value: Any) -> None:
        """Records progress (any JSON value) on the job; Cancelled when the job is no longer this worker's."""
        self.check()
        try:
            self._report(value)
        except CaudexError as error:
            if error.code == "LEASE_LOST":
                self.stop("lost")
                raise Cancelled("lost") from error
            raise

    def stop(self, reason: str) -> None:
        """Tells the task to stop (the worker calls it)."""
        if self._reason is None:
            self._reason = reason
        self._stop.set()
