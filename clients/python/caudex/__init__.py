"""Caudex for Python: enqueue and watch jobs over the Caudex HTTP API (``Client``), and run
Python tasks as a Caudex worker (``@task`` and ``python3 -m caudex worker``). Standard library
only; the worker speaks the worker protocol (docs/worker-protocol.md)."""

from .client import Client, Job
from .errors import (
    CaudexError,
    ForbiddenError,
    JobNotFoundError,
    LeaseLostError,
    NonRetryableError,
    RetryAfter,
    UnauthorizedError,
    UnavailableError,
    WaitTimeoutError,
)
from .tasks import REGISTRY, Cancelled, Context, TaskRegistry, task
from .worker import Worker

__version__ = "0.1.0"

__all__ = [
    "REGISTRY",
    "CaudexError",
    "Cancelled",
    "Client",
    "Context",
    "ForbiddenError",
    "Job",
    "JobNotFoundError",
    "LeaseLostError",
    "NonRetryableError",
    "RetryAfter",
    "TaskRegistry",
    "UnauthorizedError",
    "UnavailableError",
    "WaitTimeoutError",
    "Worker",
    "task",
]
