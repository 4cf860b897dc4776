"""Errors of the Caudex client: every answer the API refuses becomes a CaudexError carrying the
API's stable code (docs/errors.md), its message and the HTTP status."""

from __future__ import annotations

import math
from typing import Dict, Optional, Type


class CaudexError(Exception):
    """An error answered by the Caudex API (or met on the way to it), with a stable ``code``."""

    def __init__(self, code: str, message: str, status: Optional[int] = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


class LeaseLostError(CaudexError):
    """The worker's lease on the job is stale (409 LEASE_LOST): the server changed nothing."""


class JobNotFoundError(CaudexError):
    """No job has this id (404 JOB_NOT_FOUND)."""


class UnauthorizedError(CaudexError):
    """The request had no valid token (401 UNAUTHORIZED)."""


class ForbiddenError(CaudexError):
    """The token does not allow this action (403 FORBIDDEN)."""


class WaitTimeoutError(CaudexError):
    """``Client.wait`` gave up before the job finished (WAIT_TIMEOUT); the job itself goes on."""


class UnavailableError(CaudexError):
    """The server could not be reached, or its store is unavailable (STORE_UNAVAILABLE, 503)."""


class NonRetryableError(Exception):
    """Raise it from a task to fail the job for good, whatever attempts remain."""


class RetryAfter(Exception):
    """Raise it from a task to say "not now" (an upstream answered 429): the job runs again after
    ``seconds`` and this attempt is not counted, at most 100 times (then the job fails with
    POSTPONED_TOO_OFTEN). The same as a Node task's ``RetryAfter``."""

    def __init__(self, seconds: float, message: Optional[str] = None) -> None:
        # A bad delay would loop at once or park the job for ages: kept to 0 s .. 10 years, as the server checks.
        clean = float(seconds) if math.isfinite(seconds) else 1.0
        self.seconds = min(max(clean, 0.0), _MAX_DELAY_SECONDS)
        super().__init__(message or f"Retry after {self.seconds:g} s")


# The server's bound of a delay (JOB_BOUNDS.maxDelayMs): 10 years of 365 days.
_MAX_DELAY_SECONDS = 10 * 365 * 86400.0

_BY_CODE: Dict[str, Type[CaudexError]] = {
    "LEASE_LOST": LeaseLostError,
    "JOB_NOT_FOUND": JobNotFoundError,
    "UNAUTHORIZED": UnauthorizedError,
    "FORBIDDEN": ForbiddenError,
    "WAIT_TIMEOUT": WaitTimeoutError,
    "STORE_UNAVAILABLE": UnavailableError,
}


def error_for(code: str, message: str, status: Optional[int] = None) -> CaudexError:
    """The CaudexError subclass for ``code`` (CaudexError itself for the other codes)."""
    return _BY_CODE.get(code, CaudexError)(code, message, status)
