"""Errors that services raise; each names its HTTP status code for the API."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from queueproject.errors import ServiceError


class JobError(ServiceError):
    code = "job_error"


class InvalidTransition(JobError):
    """The action is not allowed from the job's current status (HTTP 409)."""

    status_code = 409
    code = "invalid_state"

    def __init__(self, *, action: str, status: str, allowed: Iterable[str]) -> None:
        self.action, self.status, self.allowed = action, status, sorted(allowed)
        super().__init__(
            f"cannot {action} a job that is {status} (allowed from: {', '.join(self.allowed)})"
        )

    def details(self) -> Any:
        return {"status": self.status, "allowed": self.allowed}


class QueueFull(JobError):
    """Backpressure: the queue already holds its maximum of waiting jobs (HTTP 429)."""

    status_code = 429
    code = "queue_full"

    def __init__(self, *, queue: str, limit: int, backlog: int, requested: int) -> None:
        self.queue, self.limit, self.backlog = queue, limit, backlog
        super().__init__(
            f"queue {queue!r} is full: {backlog} jobs are waiting (limit {limit}); "
            f"{requested} more refused, nothing was created. Retry later."
        )

    def details(self) -> Any:
        return {"queue": self.queue, "limit": self.limit}

    def headers(self) -> dict[str, str] | None:
        return {"Retry-After": "30"}


class InvalidJob(JobError):
    """The submission itself is wrong: unknown type, bad priority, bad arguments (HTTP 400)."""

    code = "invalid"


class JobCancelled(Exception):
    """Raised inside a handler by ctx.check_cancelled() once the job was cancelled."""
