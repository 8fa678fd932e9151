"""The engine's services against the real database and Redis (no worker running)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from rq import Queue

from jobs import lifecycle
from jobs.errors import InvalidJob, InvalidTransition, PriorityNotAllowed, QueueFull
from jobs.maintenance import maintenance_tick
from jobs.models import EventKind, JobStatus, QueueJob
from jobs.services import (
    JobSpec,
    job_cancel,
    job_delete,
    job_promote,
    job_requeue,
    job_retry,
    job_submit,
    job_submit_batch,
    jobs_clean,
    jobs_clear_completed,
    jobs_retry,
    processing_resume,
    processing_suspend,
    queue_clean,
    queue_pause,
    queue_resume,
)
from queueproject.redis_client import get_redis
from tests.conftest import at_once
from tests.factories import make_job, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def rq_ids(queue: str, priority: int) -> list[str]:
    return Queue(f"{queue}.p{priority:02d}", connection=get_redis()).get_job_ids()


def all_rq_ids() -> set[str]:
    return {i for p in range(1, 11) for q in ("default", "uploads") for i in rq_ids(q, p)}


def status_of(job: QueueJob) -> str:
    job.refresh_from_db()
    return job.status


def test_submitted_job_waits_in_redis_on_its_priority_level() -> None:
    job = job_submit(spec=JobSpec(type="system.noop", priority=3))
    assert status_of(job) == JobStatus.WAITING
    assert rq_ids("default", 3) == [str(job.pk)]
    assert job.enqueued_at is not None


def test_unknown_job_type_is_refused_by_name() -> None:
    with pytest.raises(InvalidJob, match=r"unknown job type 'reports\.nope'"):
        job_submit(spec=JobSpec(type="reports.nope"))
    assert QueueJob.objects.count() == 0


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (JobSpec(type="system.noop", priority=0), "priority must be an integer from 1 to 10"),
        (JobSpec(type="system.noop", priority=11), "priority must be an integer from 1 to 10"),
        (JobSpec(type="system.noop", max_attempts=0), "max_attempts must be an integer"),
        (JobSpec(type="system.noop", data=[1, 2]), "data must be a JSON object"),  # type: ignore[arg-type]
        (JobSpec(type="system.noop", queue="elsewhere"), "unknown queue 'elsewhere'"),
        (
            JobSpec(type="system.noop", scheduled_at=dt.datetime(2030, 1, 1)),  # noqa: DTZ001
            "scheduled_at must carry a time zone",
        ),
    ],
)
def test_invalid_submissions_are_refused_with_the_reason(spec: JobSpec, message: str) -> None:
    with pytest.raises(InvalidJob, match=message):
        job_submit(spec=spec)
    assert QueueJob.objects.count() == 0


def test_a_batch_with_one_bad_job_creates_nothing() -> None:
    specs = [JobSpec(type="system.noop"), JobSpec(type="system.noop", priority=42)]
    with pytest.raises(InvalidJob, match="job 1: priority"):
        job_submit_batch(specs=specs)
    assert QueueJob.objects.count() == 0
    assert all_rq_ids() == set()


def test_delayed_job_is_dispatched_only_when_due() -> None:
    job = job_submit(
        spec=JobSpec(type="system.noop", scheduled_at=timezone.now() + dt.timedelta(hours=1))
    )
    assert status_of(job) == JobStatus.SCHEDULED
    assert maintenance_tick() == 0
    assert all_rq_ids() == set()
    QueueJob.objects.filter(pk=job.pk).update(scheduled_at=timezone.now() - dt.timedelta(seconds=1))
    assert maintenance_tick() == 1
    assert status_of(job) == JobStatus.WAITING
    assert rq_ids("default", 5) == [str(job.pk)]


def test_full_queue_refuses_with_a_clear_message_and_creates_nothing(settings) -> None:
    settings.QUEUE_MAX_WAITING = {"default": 3}
    job_submit_batch(specs=[JobSpec(type="system.noop")] * 2)
    with pytest.raises(QueueFull) as refused:
        job_submit_batch(specs=[JobSpec(type="system.noop")] * 2)
    assert str(refused.value) == (
        "queue 'default' is full: 2 jobs are waiting (limit 3); 2 more refused, "
        "nothing was created. Retry later."
    )
    assert QueueJob.objects.count() == 2
    assert len(all_rq_ids()) == 2
    job_submit(spec=JobSpec(type="system.noop"))  # exactly at the limit is fine
    assert QueueJob.objects.count() == 3


def test_cancelled_waiting_job_leaves_redis(admin_user) -> None:
    job = job_submit(spec=JobSpec(type="system.noop"))
    job_cancel(job=job, actor=admin_user)
    assert status_of(job) == JobStatus.CANCELLED
    assert all_rq_ids() == set()
    event = job.events.get(kind=EventKind.CANCELLED)
    assert event.actor == admin_user
    assert event.details == {"from": "waiting"}


def test_cancel_of_a_finished_job_is_refused_naming_its_status() -> None:
    job = make_job(status=JobStatus.COMPLETED)
    with pytest.raises(InvalidTransition, match="cannot cancel a job that is completed"):
        job_cancel(job=job)


def test_retry_of_failed_job_starts_afresh_and_keeps_history() -> None:
    job = make_job(status=JobStatus.FAILED, attempts=3, error_message="boom")
    job.events.create(at=timezone.now(), kind=EventKind.FAILED, attempt=3, message="boom")
    job_retry(job=job)
    job.refresh_from_db()
    assert (job.status, job.attempts, job.error_message) == (JobStatus.WAITING, 0, "")
    assert list(job.events.values_list("kind", flat=True)) == [EventKind.FAILED, EventKind.RETRIED]
    assert rq_ids("default", 5) == [str(job.pk)]


def test_retry_of_completed_job_is_refused() -> None:
    job = make_job(status=JobStatus.COMPLETED)
    with pytest.raises(InvalidTransition, match="cannot retry a job that is completed"):
        job_retry(job=job)


def test_bulk_retry_retries_only_failed_and_cancelled() -> None:
    make_job(status=JobStatus.FAILED)
    make_job(status=JobStatus.CANCELLED)
    make_job(status=JobStatus.COMPLETED)
    assert jobs_retry(jobs=QueueJob.objects.all()) == 2
    assert QueueJob.objects.filter(status=JobStatus.WAITING).count() == 2


def test_paused_queue_keeps_jobs_pending_and_resume_dispatches_by_priority() -> None:
    early = job_submit(spec=JobSpec(type="system.noop", priority=5))
    queue_pause(queue="default")
    assert status_of(early) == JobStatus.PENDING
    assert all_rq_ids() == set()
    late_urgent = job_submit(spec=JobSpec(type="system.noop", priority=1))
    later = job_submit(spec=JobSpec(type="system.noop", priority=5))
    assert status_of(late_urgent) == JobStatus.PENDING
    assert maintenance_tick() == 0  # nothing leaves a paused queue
    queue_resume(queue="default")
    assert rq_ids("default", 1) == [str(late_urgent.pk)]
    assert rq_ids("default", 5) == [str(early.pk), str(later.pk)]


def test_pausing_an_unknown_queue_is_refused() -> None:
    with pytest.raises(InvalidJob, match="unknown queue 'nope'"):
        queue_pause(queue="nope")


def test_promoted_job_is_next_ahead_of_every_priority() -> None:
    urgent = job_submit(spec=JobSpec(type="system.noop", priority=1))
    lowly = job_submit(spec=JobSpec(type="system.noop", priority=10))
    job_promote(job=lowly)
    assert rq_ids("default", 1) == [str(lowly.pk), str(urgent.pk)]
    assert rq_ids("default", 10) == []


def test_clean_deletes_only_old_finished_jobs() -> None:
    old = timezone.now() - dt.timedelta(days=2)
    gone = make_job(status=JobStatus.COMPLETED, completed_at=old)
    kept_recent = make_job(status=JobStatus.COMPLETED, completed_at=timezone.now())
    kept_failed = make_job(status=JobStatus.FAILED, completed_at=old)
    assert jobs_clean(older_than=dt.timedelta(hours=24), statuses=["completed"], dry_run=True) == 1
    assert jobs_clean(older_than=dt.timedelta(hours=24), statuses=["completed"]) == 1
    remaining = set(QueueJob.objects.values_list("pk", flat=True))
    assert remaining == {kept_recent.pk, kept_failed.pk}
    assert gone.pk not in remaining


def test_clear_completed_keeps_failed_and_cancelled_jobs() -> None:
    old = timezone.now() - dt.timedelta(days=2)
    make_job(status=JobStatus.COMPLETED, completed_at=old, queue="uploads")
    failed = make_job(status=JobStatus.FAILED, completed_at=old)
    cancelled = make_job(status=JobStatus.CANCELLED, completed_at=old)
    assert jobs_clear_completed(older_than=dt.timedelta(hours=1)) == 1
    assert set(QueueJob.objects.values_list("pk", flat=True)) == {failed.pk, cancelled.pk}


def test_a_queue_clean_removes_its_completed_and_failed_jobs_only() -> None:
    old = timezone.now() - dt.timedelta(days=2)
    make_job(status=JobStatus.COMPLETED, completed_at=old, queue="uploads")
    make_job(status=JobStatus.FAILED, completed_at=old, queue="uploads")
    cancelled = make_job(status=JobStatus.CANCELLED, completed_at=old, queue="uploads")
    other_queue = make_job(status=JobStatus.FAILED, completed_at=old, queue="default")
    assert queue_clean(queue="uploads", older_than=dt.timedelta(hours=1)) == 2
    assert set(QueueJob.objects.values_list("pk", flat=True)) == {cancelled.pk, other_queue.pk}


def test_clean_refuses_unfinished_statuses() -> None:
    with pytest.raises(InvalidJob, match="only finished jobs can be cleaned, not active"):
        jobs_clean(older_than=dt.timedelta(hours=1), statuses=["completed", "active"])


def test_active_job_cannot_be_deleted() -> None:
    job = make_job(status=JobStatus.ACTIVE)
    with pytest.raises(InvalidTransition, match="cannot delete a job that is active"):
        job_delete(job=job)


def race_start_and_cancel(job: QueueJob) -> QueueJob | None:
    """Run a worker's claim and a cancel at the same instant; returns what the claim got."""
    claimed: list[QueueJob | None] = []
    at_once(
        lambda: claimed.append(lifecycle.job_claim(str(job.pk))),
        lambda: job_cancel(job=QueueJob.objects.get(pk=job.pk)),
    )
    return claimed[0]


def test_cancel_racing_a_start_has_exactly_one_winner() -> None:
    for _ in range(15):
        job = job_submit(spec=JobSpec(type="system.noop"))
        claimed = race_start_and_cancel(job)
        job.refresh_from_db()
        cancelled_from = job.events.get(kind=EventKind.CANCELLED).details["from"]
        assert job.status == JobStatus.CANCELLED
        if claimed is None:  # the cancel won: the job never started and left Redis
            assert (cancelled_from, job.attempts) == ("waiting", 0)
            assert str(job.pk) not in all_rq_ids()
        else:  # the start won: the cancel then stopped an active job
            assert (cancelled_from, job.attempts) == ("active", 1)


def test_suspended_processing_holds_every_queue_until_resumed() -> None:
    processing_suspend()
    upload = job_submit(spec=JobSpec(type="system.noop", queue="uploads"))
    other = job_submit(spec=JobSpec(type="system.noop"))
    assert (status_of(upload), status_of(other)) == (JobStatus.PENDING, JobStatus.PENDING)
    processing_resume()
    assert (status_of(upload), status_of(other)) == (JobStatus.WAITING, JobStatus.WAITING)


def test_a_stale_attempt_cannot_complete_over_its_successor() -> None:
    job = job_submit(spec=JobSpec(type="system.noop"))
    stale = lifecycle.job_claim(str(job.pk))
    assert stale is not None
    job_requeue(stale, reason="worker went silent")  # back to the queue, attempt not counted
    successor = lifecycle.job_claim(str(job.pk))
    assert successor is not None
    assert successor.attempts == stale.attempts  # same attempt number: the run tells them apart
    assert lifecycle.job_complete(stale, result={"from": "stale"}, seconds=0.1) is False
    job.refresh_from_db()
    assert (job.status, job.run_id) == (JobStatus.ACTIVE, successor.run_id)
    assert lifecycle.job_complete(successor, result={"from": "successor"}, seconds=0.1) is True
    job.refresh_from_db()
    assert job.result == {"from": "successor"}


def test_a_paused_backlog_does_not_crowd_out_due_jobs_elsewhere() -> None:
    queue_pause(queue="uploads")
    long_ago = timezone.now() - dt.timedelta(hours=1)
    QueueJob.objects.bulk_create(
        QueueJob(type="system.noop", queue="uploads", status=JobStatus.PENDING) for _ in range(5001)
    )
    QueueJob.objects.update(updated_at=long_ago)
    due = make_job(status=JobStatus.SCHEDULED, scheduled_at=long_ago)
    assert maintenance_tick() == 1
    assert status_of(due) == JobStatus.WAITING


def province_admin() -> User:
    return make_user("province", "province_admin")


def test_a_priority_above_the_submitters_role_is_refused_and_nothing_is_recorded() -> None:
    spec = JobSpec(type="system.noop", priority=2)
    with pytest.raises(PriorityNotAllowed, match="priority 2 is above what your role allows"):
        job_submit(spec=spec, created_by=province_admin())
    assert not QueueJob.objects.exists()


def test_a_role_submits_at_its_default_or_lower() -> None:
    user = make_user("national", "national_admin")  # 3: not the job type's own default of 5
    default = job_submit(spec=JobSpec(type="system.noop"), created_by=user)
    lower = job_submit(spec=JobSpec(type="system.noop", priority=8), created_by=user)
    assert (default.priority, lower.priority) == (3, 8)


def test_one_priority_above_the_role_refuses_the_whole_batch() -> None:
    specs = [JobSpec(type="system.noop", priority=9), JobSpec(type="system.noop", priority=1)]
    with pytest.raises(PriorityNotAllowed):
        job_submit_batch(specs=specs, created_by=province_admin())
    assert not QueueJob.objects.exists()


def test_a_submission_without_a_user_may_take_any_priority() -> None:
    assert job_submit(spec=JobSpec(type="system.noop", priority=1)).priority == 1
