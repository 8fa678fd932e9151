"""Actions on many jobs at once: clean old ones, retry or cancel everything a filter matches."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from uuid import UUID

from django.db.models import QuerySet
from django.utils import timezone

from jobs.errors import InvalidJob, InvalidTransition
from jobs.models import JobStatus, QueueJob
from jobs.services.common import Actor
from jobs.services.control import CANCELLABLE, RETRYABLE, job_cancel, job_retry

FINISHED = [JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED]
CHUNK = 1000

# Other apps register what must go with a purged job (an upload's stored files, say).
purge_hooks: list[Callable[[list[UUID]], None]] = []


def jobs_clean(
    *,
    older_than: dt.timedelta,
    statuses: Iterable[str] = FINISHED,
    queue: str | None = None,
    dry_run: bool = False,
    now: dt.datetime | None = None,
) -> int:
    """Delete finished jobs (and their events) that finished before `older_than` ago."""
    wanted = list(statuses)
    unfinished = sorted(set(wanted) - set(FINISHED))
    if unfinished:
        raise InvalidJob(f"only finished jobs can be cleaned, not {', '.join(unfinished)}")
    cutoff = (now or timezone.now()) - older_than
    old = QueueJob.objects.filter(status__in=wanted, completed_at__lt=cutoff)
    if queue:
        old = old.filter(queue=queue)
    if dry_run:
        return old.count()
    deleted = 0
    while ids := list(old.values_list("pk", flat=True)[:CHUNK]):
        for hook in purge_hooks:
            hook(ids)
        QueueJob.objects.filter(pk__in=ids).delete()
        deleted += len(ids)
    return deleted


def jobs_retry(*, jobs: QuerySet[QueueJob], actor: Actor = None) -> int:
    """Retry every failed or cancelled job in `jobs`; returns how many were retried."""
    return _each(jobs.filter(status__in=RETRYABLE), lambda job: job_retry(job=job, actor=actor))


def jobs_cancel(*, jobs: QuerySet[QueueJob], actor: Actor = None) -> int:
    """Cancel every unfinished job in `jobs`; returns how many were cancelled."""
    return _each(jobs.filter(status__in=CANCELLABLE), lambda job: job_cancel(job=job, actor=actor))


def _each(jobs: QuerySet[QueueJob], action: Callable[[QueueJob], object]) -> int:
    done = 0
    for job in jobs.order_by("created_at").iterator(chunk_size=CHUNK):
        try:
            action(job)
        except (InvalidTransition, QueueJob.DoesNotExist):
            continue  # it moved on (finished, deleted) since the filter ran
        done += 1
    return done
