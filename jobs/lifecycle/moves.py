"""The status writes outside an attempt: a new job's first status, dispatch to Redis and back,
cancel, retry and release. Each is a compare-and-set UPDATE on the statuses the table allows, so
of several racing parties (a worker, a cancel, maintenance) exactly one wins."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from django.db.models import Q, QuerySet
from django.utils import timezone

from jobs.errors import InvalidTransition
from jobs.lifecycle.table import allowed_from, target_of, transition_check
from jobs.models import JobStatus, QueueJob

FRESH_ATTEMPT: dict[str, Any] = {
    "attempts": 0,
    "stalled_count": 0,
    "error_message": "",
    "traceback": "",
    "result": None,
    "scheduled_at": None,
    "enqueued_at": None,
    "started_at": None,
    "completed_at": None,
    "worker": None,
    "progress_percent": 0,
    "progress_stage": "",
    "progress_message": "",
    "progress_processed": 0,
}


def job_move(
    action: str, job_id: UUID | str, *, sources: Iterable[str] | None = None, **fields: Any
) -> bool:
    """UPDATE the row to the action's target status if its status is one of `sources` (by
    default, every status the table allows the action from). False if another party won."""
    expected = list(allowed_from(action) if sources is None else sources)
    updated = QueueJob.objects.filter(pk=job_id, status__in=expected).update(
        status=target_of(action), updated_at=timezone.now(), **fields
    )
    return updated == 1


def job_status_of(job_id: UUID | str) -> str | None:
    """The job's status as the ledger has it now; None when the job no longer exists."""
    return QueueJob.objects.filter(pk=job_id).values_list("status", flat=True).first()


def job_status_now(job_id: UUID | str) -> str:
    """The job's status as the ledger has it now (a job that is gone raises DoesNotExist)."""
    status = job_status_of(job_id)
    if status is None:
        raise QueueJob.DoesNotExist(f"job {job_id} no longer exists")
    return str(status)


def job_build(*, scheduled_at: dt.datetime | None, **fields: Any) -> QueueJob:
    """A new job (not saved) in its first status: scheduled when it has a time to wait for,
    pending otherwise."""
    status = JobStatus.SCHEDULED if scheduled_at else JobStatus.PENDING
    return QueueJob(status=status, scheduled_at=scheduled_at, **fields)


def job_cancel_from(job_id: UUID | str, *, status: str) -> bool:
    """Cancel a job that is `status`; False if it moved on meanwhile (read it and try again)."""
    transition_check("cancel", status)
    return job_move("cancel", job_id, sources=[status], completed_at=timezone.now())


def job_restart(job_id: UUID | str, *, status: str) -> None:
    """Start a failed or cancelled job afresh: attempts from zero, its history kept."""
    if status not in allowed_from("retry") or not job_move("retry", job_id, **FRESH_ATTEMPT):
        status = job_status_now(job_id)
        raise InvalidTransition(action="retry", status=status, allowed=allowed_from("retry"))


def job_release(job_id: UUID | str) -> bool:
    """A scheduled job becomes pending: due now (a promotion)."""
    return job_move("release", job_id)


def runnable(*, now: dt.datetime) -> Q:
    """Jobs that may go to Redis: pending, or scheduled and due."""
    return Q(status=JobStatus.PENDING) | Q(status=JobStatus.SCHEDULED, scheduled_at__lte=now)


def jobs_mark_waiting(ids: list[UUID], *, marker: dt.datetime) -> QuerySet[QueueJob]:
    """Mark the runnable ones of `ids` waiting, stamped with `marker`; returns the rows this call
    marked (another dispatcher's are stamped otherwise)."""
    QueueJob.objects.filter(runnable(now=marker), pk__in=ids).update(
        status=target_of("dispatch"), enqueued_at=marker, updated_at=marker
    )
    return QueueJob.objects.filter(pk__in=ids, status=JobStatus.WAITING, enqueued_at=marker)


def jobs_withdraw(jobs: QuerySet[QueueJob], **fields: Any) -> int:
    """Waiting jobs of `jobs` go back to pending, out of Redis (Redis refused them, their queue
    was paused, Redis lost them). Returns how many."""
    return jobs.filter(status__in=allowed_from("withdraw")).update(
        status=target_of("withdraw"), enqueued_at=None, **fields
    )
