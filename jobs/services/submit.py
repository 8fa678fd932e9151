"""Submitting jobs: validated, recorded, and dispatched once the row is committed."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from jobs import roles, signals
from jobs.errors import InvalidJob, PriorityNotAllowed, QueueFull
from jobs.lifecycle import Actor, job_build, signal_after_commit
from jobs.models import JobSource, JobStatus, QueueJob
from jobs.registry import JobType, UnknownJobType, client_job_types, get_job_type
from jobs.selectors import queue_max_waiting
from jobs.services.dispatch import configured_queues, jobs_dispatch
from jobs.text import text_problem

BACKLOG_STATUSES = [JobStatus.PENDING, JobStatus.WAITING]


@dataclass(frozen=True)
class JobSpec:
    """One job to submit. Unset options take the job type's defaults."""

    type: str
    data: dict[str, Any] = field(default_factory=dict)
    priority: int | None = None
    scheduled_at: dt.datetime | None = None
    max_attempts: int | None = None
    batch_id: str = ""
    queue: str | None = None
    timeout: int | None = None
    backoff_base: float | None = None


def job_submit(
    *,
    spec: JobSpec,
    created_by: Actor = None,
    source: str = JobSource.API,
    internal: bool = False,
) -> QueueJob:
    """Record one job; it reaches Redis after the surrounding transaction commits."""
    return job_submit_batch(specs=[spec], created_by=created_by, source=source, internal=internal)[
        0
    ]


def job_submit_batch(
    *,
    specs: Sequence[JobSpec],
    created_by: Actor = None,
    source: str = JobSource.API,
    internal: bool = False,
) -> list[QueueJob]:
    """Record several jobs in one transaction: all of them, or (on any error) none.

    Internal job types (registered with client=False) are refused unless the caller is one of
    the project's own services and says so with `internal=True`: client paths never do.

    A priority above what the submitter's role allows raises PriorityNotAllowed, checked before
    anything else (see job_priority_allowed); an internal submission's service has applied that
    rule to what its own caller asked for."""
    if not specs:
        raise InvalidJob("no jobs to submit")
    user = created_by if created_by is not None and created_by.is_authenticated else None
    if not internal:
        specs = [
            replace(spec, priority=job_priority_allowed(actor=user, requested=spec.priority))
            for spec in specs
        ]
    jobs = [
        _build(spec, index=i, user=user, source=source, internal=internal)
        for i, spec in enumerate(specs)
    ]
    with transaction.atomic():
        _check_backpressure(jobs)
        QueueJob.objects.bulk_create(jobs)
        ids = [job.pk for job in jobs if job.status == JobStatus.PENDING]
        if ids:
            transaction.on_commit(lambda: jobs_dispatch(ids=ids))
        for job in jobs:
            signal_after_commit(signals.job_submitted, job)
    if transaction.get_connection().in_atomic_block:
        return jobs  # dispatch waits for the outer commit
    fresh = QueueJob.objects.in_bulk([job.pk for job in jobs])  # as dispatched
    return [fresh.get(job.pk, job) for job in jobs]


def job_priority_allowed(*, actor: Actor, requested: int | None) -> int | None:
    """The priority a submission by `actor` may have. A signed-in user's role sets its default
    and its highest (roles.priority_ceiling): a client may lower its priority, not raise it, and
    above the ceiling raises PriorityNotAllowed. Without a signed-in actor the submission is the
    project's own or an operator's at the shell (a command): any priority, and the job type's
    default when none is asked for. A value that is no priority at all is left to the
    submission's own check."""
    if actor is None or not actor.is_authenticated:
        return requested
    ceiling = roles.priority_ceiling(actor)
    if requested is None:
        return ceiling
    if isinstance(requested, int) and 1 <= requested < ceiling:
        raise PriorityNotAllowed(requested=requested, ceiling=ceiling)
    return requested


def _build(spec: JobSpec, *, index: int, user: Any, source: str, internal: bool) -> QueueJob:
    where = f"job {index}: " if index else ""
    job_type = _job_type(where, spec.type, internal=internal)
    queue = spec.queue or job_type.queue
    if queue not in configured_queues():
        raise InvalidJob(f"{where}unknown queue {queue!r} (configured: {configured_queues()})")
    priority = _bounded(where, "priority", spec.priority, job_type.priority, 1, 10)
    max_attempts = _bounded(where, "max_attempts", spec.max_attempts, job_type.max_attempts, 1, 100)
    timeout = _bounded(where, "timeout", spec.timeout, job_type.timeout, 1, 7 * 24 * 3600)
    _check_data(where, spec.data)
    if len(spec.batch_id) > 64:
        raise InvalidJob(f"{where}batch_id is longer than 64 characters")
    scheduled_at = _scheduled_at(where, spec.scheduled_at)
    return job_build(
        scheduled_at=scheduled_at,
        type=job_type.key,
        queue=queue,
        priority=priority,
        data=spec.data,
        max_attempts=max_attempts,
        timeout_seconds=timeout,
        backoff_base_seconds=spec.backoff_base
        if spec.backoff_base is not None
        else job_type.backoff_base,
        backoff_max_seconds=job_type.backoff_max,
        created_by=user,
        source=source,
        batch_id=spec.batch_id,
    )


def _job_type(where: str, key: str, *, internal: bool) -> JobType:
    try:
        job_type = get_job_type(key)
    except UnknownJobType as exc:
        raise InvalidJob(f"{where}{exc}") from None
    if not job_type.client and not internal:
        allowed = ", ".join(entry.key for entry in client_job_types()) or "none"
        raise InvalidJob(
            f"{where}job type {key!r} is internal: only the project's own services submit it "
            f"(client job types: {allowed})"
        )
    return job_type


def _bounded(where: str, name: str, value: Any, default: int, low: int, high: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidJob(f"{where}{name} must be an integer from {low} to {high}, not {value!r}")
    return value


def _check_data(where: str, data: Any) -> None:
    if not isinstance(data, dict):
        raise InvalidJob(f"{where}data must be a JSON object, not {type(data).__name__}")
    problem = text_problem(data, "data")
    if problem:
        raise InvalidJob(f"{where}{problem}")
    try:
        json.dumps(data, cls=DjangoJSONEncoder)
    except (TypeError, ValueError) as exc:
        raise InvalidJob(f"{where}data is not JSON-serialisable: {exc}") from None


def _scheduled_at(where: str, value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    if timezone.is_naive(value):
        raise InvalidJob(f"{where}scheduled_at must carry a time zone (e.g. 2026-01-31T08:00Z)")
    return value if value > timezone.now() else None


def _check_backpressure(jobs: list[QueueJob]) -> None:
    wanted: dict[str, int] = {}
    for job in jobs:
        wanted[job.queue] = wanted.get(job.queue, 0) + 1
    limited = [queue for queue in wanted if queue_max_waiting(queue)]
    if not limited:
        return
    backlog = dict(
        QueueJob.objects.filter(queue__in=limited, status__in=BACKLOG_STATUSES)
        .values_list("queue")
        .annotate(n=Count("pk"))
        .values_list("queue", "n")
    )
    for queue in limited:
        limit = queue_max_waiting(queue)
        if backlog.get(queue, 0) + wanted[queue] > limit:
            raise QueueFull(
                queue=queue, limit=limit, backlog=backlog.get(queue, 0), requested=wanted[queue]
            )
