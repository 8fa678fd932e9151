"""The job-type registry: what runs a job type, on which queue, with which limits.

    @job_type("reports.build", queue="default", timeout=300, max_attempts=5)
    def build_report(ctx: JobContext) -> dict: ...

A type registered with `client=False` is internal: only the project's own services submit it
(`uploads.import`, queued by the upload service); the API, the dashboard and any other client
path are refused.

A handler receives a JobContext (its arguments in `ctx.data`, progress, cancellation, logger) and
returns a JSON-serialisable result. It may run more than once (stall, Redis loss): it must be
idempotent. Raise PermanentError to fail without retry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jobs.context import JobContext

Handler = Callable[["JobContext"], Any]


class PermanentError(Exception):
    """Raised by a handler for a failure that no retry can fix (bad input, missing file)."""


class UnknownJobType(LookupError):
    pass


@dataclass(frozen=True)
class JobType:
    key: str
    handler: Handler
    queue: str = "default"
    priority: int = 5
    timeout: int = 600
    max_attempts: int = 3
    backoff_base: float = 10.0
    backoff_max: float = 3600.0
    description: str = ""
    client: bool = True  # False: internal, submitted only by the project's own services


_registry: dict[str, JobType] = {}


def job_type(key: str, **options: Any) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of job type `key`."""

    def register(handler: Handler) -> Handler:
        description = options.pop("description", (handler.__doc__ or "").strip().split("\n")[0])
        _registry[key] = JobType(key=key, handler=handler, description=description, **options)
        return handler

    return register


def get_job_type(key: str) -> JobType:
    try:
        return _registry[key]
    except KeyError:
        known = ", ".join(sorted(_registry)) or "none"
        raise UnknownJobType(f"unknown job type {key!r} (registered: {known})") from None


def job_types() -> list[JobType]:
    return sorted(_registry.values(), key=lambda entry: entry.key)


def client_job_types() -> list[JobType]:
    """The types a client (API, dashboard job panel) may submit."""
    return [entry for entry in job_types() if entry.client]


def unregister(key: str) -> None:
    _registry.pop(key, None)
