"""Actions on many jobs at once: clean old ones, retry or cancel everything a filter matches."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from uuid import UUID

from django.db.models import QuerySet
from django.utils import timezone

from jobs.errors import InvalidJob, InvalidTransition
from jobs.lifecycle import FINISHED, Actor, allowed_from
from jobs.models import JobStatus, QueueJob
from jobs.selectors import job_counts_by_status, job_visible_list
from jobs.services.control import job_cancel, job_delete, job_retry

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


def jobs_clear_completed(*, older_than: dt.timedelta) -> int:
    """Delete the completed jobs of every queue that finished before `older_than` ago; failed and
    cancelled ones stay (their errors are still to be read)."""
    return jobs_clean(older_than=older_than, statuses=[JobStatus.COMPLETED])


def queue_clean(*, queue: str, older_than: dt.timedelta) -> int:
    """A queue's clean, as the seeds' (Bull's): delete its completed and failed jobs that
    finished before `older_than` ago; cancelled ones stay."""
    return jobs_clean(
        older_than=older_than, queue=queue, statuses=[JobStatus.COMPLETED, JobStatus.FAILED]
    )


def jobs_retry(*, jobs: QuerySet[QueueJob], actor: Actor = None) -> int:
    """Retry every failed or cancelled job in `jobs`; returns how many were retried."""
    return _each(
        jobs.filter(status__in=allowed_from("retry")), lambda job: job_retry(job=job, actor=actor)
    )


def jobs_cancel(*, jobs: QuerySet[QueueJob], actor: Actor = None) -> int:
    """Cancel every unfinished job in `jobs`; returns how many were cancelled."""
    return _each(
        jobs.filter(status__in=allowed_from("cancel")), lambda job: job_cancel(job=job, actor=actor)
    )


def jobs_delete(*, jobs: QuerySet[QueueJob], actor: Actor = None) -> int:
    """Delete every job in `jobs` that is neither in Redis nor running; returns how many."""
    return _each(
        jobs.filter(status__in=allowed_from("delete")), lambda job: job_delete(job=job, actor=actor)
    )


@dataclass(frozen=True)
class BulkAction:
    verb: str  # "retry"
    past: str  # "retried"
    applies_to: frozenset[str]  # the statuses the action takes
    run: Callable[..., int]


BULK_ACTIONS = {
    "retry": BulkAction("retry", "retried", allowed_from("retry"), jobs_retry),
    "cancel": BulkAction("cancel", "cancelled", allowed_from("cancel"), jobs_cancel),
    "delete": BulkAction("delete", "deleted", allowed_from("delete"), jobs_delete),
}


@dataclass(frozen=True)
class BulkOutcome:
    """What a bulk action did: `done` jobs; `skipped` by status (the action does not take jobs in
    that status); `moved` jobs it took when counted that changed state before it reached them."""

    action: BulkAction
    done: int
    skipped: dict[str, int] = field(default_factory=dict)
    moved: int = 0

    def summary(self, *, of: int | None = None) -> str:
        """'2 retried; 1 skipped: completed jobs are not retried.' (with `of`: '2 of 3 ...')"""
        said = [f"{self.done:,}{'' if of is None else f' of {of:,}'} {self.action.past}"]
        if self.skipped:
            n = sum(self.skipped.values())
            statuses = " or ".join(sorted(self.skipped))
            said.append(f"{n:,} skipped: {statuses} jobs are not {self.action.past}")
        if self.moved:
            said.append(f"{self.moved:,} changed state before the action reached them")
        return "; ".join(said) + "."


@dataclass(frozen=True)
class BulkPreview:
    """What a bulk action would take: `applies` jobs, and by status those it would skip."""

    action: BulkAction
    applies: int
    skipped: dict[str, int]

    @property
    def total(self) -> int:
        return self.applies + sum(self.skipped.values())


def jobs_act_preview(*, action: str, jobs: QuerySet[QueueJob]) -> BulkPreview:
    """Count, in one query, the jobs a bulk action would take and those it would skip."""
    bulk = BULK_ACTIONS.get(action)
    if bulk is None:
        raise InvalidJob(f"unknown action {action!r}: use {', '.join(BULK_ACTIONS)}")
    counts = job_counts_by_status(jobs=jobs)
    return BulkPreview(
        action=bulk,
        applies=sum(n for status, n in counts.items() if status in bulk.applies_to),
        skipped={s: n for s, n in counts.items() if n and s not in bulk.applies_to},
    )


def jobs_act(*, action: str, jobs: QuerySet[QueueJob], actor: Actor = None) -> BulkOutcome:
    """Run a bulk action (retry, cancel, delete) on `jobs` and say what it did and skipped."""
    preview = jobs_act_preview(action=action, jobs=jobs)
    done = preview.action.run(jobs=jobs, actor=actor)
    return BulkOutcome(
        action=preview.action,
        done=done,
        skipped=preview.skipped,
        moved=max(0, preview.applies - done),
    )


def queue_retry_failed(*, queue: str, actor: Actor = None) -> BulkOutcome:
    """Retry the failed jobs of a queue that `actor` may see (all of them without an actor);
    cancelled ones stay cancelled."""
    failed = job_visible_list(actor).filter(queue=queue, status=JobStatus.FAILED)
    return jobs_act(action="retry", jobs=failed, actor=actor)


def _each(jobs: QuerySet[QueueJob], action: Callable[[QueueJob], object]) -> int:
    done = 0
    for job in jobs.order_by("created_at").iterator(chunk_size=CHUNK):
        try:
            action(job)
        except (InvalidTransition, QueueJob.DoesNotExist):
            continue  # it moved on (finished, deleted) since the filter ran
        done += 1
    return done
