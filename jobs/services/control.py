"""Staff and API actions on one job or one queue: cancel, retry, promote, delete, pause, resume."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from jobs import roles, signals
from jobs.errors import InvalidJob, InvalidTransition
from jobs.lifecycle import (
    Actor,
    allowed_from,
    event_record,
    job_cancel_from,
    job_release,
    job_restart,
    job_status_now,
    jobs_withdraw,
    move_record,
    signal_after_commit,
    transition_check,
)
from jobs.models import EventKind, JobStatus, QueueJob, QueueState
from jobs.services.dispatch import configured_queues, jobs_dispatch, rq_enqueue, rq_remove, rq_stop

# The actions on one job, each with the statuses it takes a job from (the lifecycle's table).
JOB_ACTIONS = {action: allowed_from(action) for action in ("retry", "cancel", "promote", "delete")}


def job_act(*, action: str, job: QueueJob, actor: Actor = None) -> str:
    """Run one of JOB_ACTIONS on a job; returns what was done, in words ("retried")."""
    run, done = {
        "retry": (job_retry, "retried"),
        "cancel": (job_cancel, "cancelled"),
        "promote": (job_promote, "promoted"),
        "delete": (job_delete, "deleted"),
    }[action]
    run(job=job, actor=actor)
    return done


def job_actions_allowed(user: Any, job: QueueJob) -> list[str]:
    """The actions this user may take on this job in its current status."""
    if not roles.can_act_on_job(user, job):
        return []
    return [action for action, statuses in JOB_ACTIONS.items() if job.status in statuses]


def job_cancel(*, job: QueueJob, actor: Actor = None) -> QueueJob:
    """Cancel a job that has not finished. A waiting job leaves Redis and never runs; an active
    job's work horse is stopped (its handler's checkpoint tells what was written)."""
    while True:  # the status may move between our read and our write: re-read and try again
        status = job_status_now(job.pk)
        if job_cancel_from(job.pk, status=status):
            break
    if status == JobStatus.WAITING:
        rq_remove([job.pk])
    elif status == JobStatus.ACTIVE:
        rq_stop(job.pk)
    job.refresh_from_db()
    move_record("cancel", job.pk, attempt=job.attempts, actor=actor, details={"from": status})
    signal_after_commit(signals.job_cancelled, job, previous=status)
    return job


def job_retry(*, job: QueueJob, actor: Actor = None) -> QueueJob:
    """Start a failed or cancelled job afresh (attempts start again; the history is kept)."""
    status = job_status_now(job.pk)
    job_restart(job.pk, status=status)
    move_record("retry", job.pk, actor=actor, details={"from": status})
    transaction.on_commit(lambda: jobs_dispatch(ids=[job.pk]))
    job.refresh_from_db()
    signal_after_commit(signals.job_requeued, job)
    return job


def job_promote(*, job: QueueJob, actor: Actor = None) -> QueueJob:
    """Run a job next, ahead of every waiting job of any priority."""
    status = job_status_now(job.pk)
    transition_check("promote", status)
    if status == JobStatus.SCHEDULED:
        job_release(job.pk)
    job.refresh_from_db()
    if job.status == JobStatus.WAITING:
        rq_remove([job.pk])
        rq_enqueue([job], at_front=True, top=True)
    else:
        jobs_dispatch(ids=[job.pk], at_front=True)
    event_record(job.pk, EventKind.PROMOTED, status=job.status, actor=actor)
    signal_after_commit(signals.job_requeued, job)
    return job


def jobs_promote_next(*, count: int = 1, actor: Actor = None) -> list[QueueJob]:
    """Run the next `count` waiting jobs (by priority, then age) ahead of everything else, in
    that order (the seeds' process-next and process-batch)."""
    upcoming = list(
        QueueJob.objects.filter(status=JobStatus.WAITING).order_by("priority", "created_at")[:count]
    )
    for job in reversed(upcoming):  # each promotion goes to the very front
        job_promote(job=job, actor=actor)
    return upcoming


def job_delete(*, job: QueueJob, actor: Actor = None) -> None:
    """Delete a job that is not in Redis or running (cancel those first)."""
    status = job_status_now(job.pk)
    deletable = allowed_from("delete")
    deleted, _ = QueueJob.objects.filter(pk=job.pk, status__in=deletable).delete()
    if not deleted:
        raise InvalidTransition(action="delete", status=status, allowed=deletable)


def queue_pause(*, queue: str, actor: Actor = None) -> QueueState:
    """Start nothing new from this queue; active jobs finish. Waiting jobs go back to pending
    (out of Redis) and keep their place: resume dispatches them by priority, then age."""
    state = _set_paused(queue, paused=True, actor=actor)
    marker = timezone.now()  # identifies the rows this call moved (a worker may claim others)
    jobs_withdraw(QueueJob.objects.filter(queue=queue), updated_at=marker)
    moved = QueueJob.objects.filter(queue=queue, status=JobStatus.PENDING, updated_at=marker)
    rq_remove(moved.values_list("pk", flat=True))
    return state


def queue_resume(*, queue: str, actor: Actor = None) -> QueueState:
    state = _set_paused(queue, paused=False, actor=actor)
    transaction.on_commit(lambda: jobs_dispatch(queue=queue))
    return state


def processing_suspend(*, actor: Actor = None) -> list[QueueState]:
    """Stop starting jobs on every queue (active jobs finish): every queue is paused."""
    return [queue_pause(queue=queue, actor=actor) for queue in configured_queues()]


def processing_resume(*, actor: Actor = None) -> list[QueueState]:
    return [queue_resume(queue=queue, actor=actor) for queue in configured_queues()]


def _set_paused(queue: str, *, paused: bool, actor: Actor) -> QueueState:
    if queue not in configured_queues():
        raise InvalidJob(f"unknown queue {queue!r} (configured: {', '.join(configured_queues())})")
    user = actor if actor is not None and actor.is_authenticated else None
    state, _ = QueueState.objects.update_or_create(
        queue=queue, defaults={"paused": paused, "changed_at": timezone.now(), "changed_by": user}
    )
    return state
