"""Maintenance against the real database and Redis, with hand-made worker and job rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from jobs.maintenance import maintenance_run
from jobs.models import EventKind, JobStatus, QueueJob, QueueMetric, QueueWorker, WorkerStatus
from jobs.services import JobSpec, job_submit
from tests.factories import make_job

pytestmark = pytest.mark.django_db(transaction=True)


def ago(seconds: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(seconds=seconds)


def make_worker(name: str, *, silent_for: float, status: str = WorkerStatus.BUSY) -> QueueWorker:
    return QueueWorker.objects.create(
        name=name,
        hostname="h",
        pid=1,
        status=status,
        last_heartbeat=ago(silent_for),
        started_at=ago(3600),
    )


def test_a_silent_worker_is_marked_dead_and_its_job_requeued(settings) -> None:
    settings.WORKER_DEAD_AFTER = 30
    gone = make_worker("gone", silent_for=60)
    alive = make_worker("alive", silent_for=1)
    stalled = make_job(status=JobStatus.ACTIVE, worker=gone, attempts=1, started_at=ago(90))
    busy = make_job(status=JobStatus.ACTIVE, worker=alive, attempts=1, started_at=ago(90))
    report = maintenance_run()
    assert (report.dead_workers, report.recovered, report.stalled_failed) == (1, 1, 0)
    stalled.refresh_from_db()
    assert (stalled.status, stalled.stalled_count, stalled.attempts) == (JobStatus.WAITING, 1, 0)
    assert stalled.events.get(kind=EventKind.STALLED).message == (
        "worker gone stopped answering: back to the queue"
    )
    busy.refresh_from_db()
    assert busy.status == JobStatus.ACTIVE


def test_a_job_stalled_more_than_the_limit_fails(settings) -> None:
    settings.MAX_STALLED_COUNT = 3
    gone = make_worker("gone", silent_for=3600, status=WorkerStatus.DEAD)
    job = make_job(status=JobStatus.ACTIVE, worker=gone, attempts=1, stalled_count=3)
    assert maintenance_run().stalled_failed == 1
    job.refresh_from_db()
    assert (job.status, job.stalled_count) == (JobStatus.FAILED, 4)
    assert job.error_message == "stalled 4 times (worker gone stopped answering)"


def test_healthy_waiting_jobs_are_not_taken_for_lost() -> None:
    job = job_submit(spec=JobSpec(type="system.noop"))
    QueueJob.objects.filter(pk=job.pk).update(enqueued_at=ago(60))
    assert maintenance_run().redispatched == 0


def test_waiting_jobs_missing_from_redis_are_dispatched_again(clean_redis) -> None:
    job = job_submit(spec=JobSpec(type="system.noop"))
    clean_redis.flushdb()
    QueueJob.objects.filter(pk=job.pk).update(enqueued_at=ago(60))
    assert maintenance_run().redispatched == 1
    assert clean_redis.lrange("rq:queue:default.p05", 0, -1) == [str(job.pk).encode()]


def test_metrics_snapshot_counts_the_interval(settings) -> None:
    settings.JOB_QUEUES = ["default"]
    QueueMetric.objects.create(queue="default", captured_at=ago(60), interval_seconds=30)
    for run_ms in (100, 200, 300):
        make_job(
            status=JobStatus.COMPLETED,
            enqueued_at=ago(10),
            started_at=ago(9),
            completed_at=ago(9) + dt.timedelta(milliseconds=run_ms),
        )
    make_job(status=JobStatus.FAILED, completed_at=ago(5))
    waiting = job_submit(spec=JobSpec(type="system.noop"))
    QueueJob.objects.filter(pk=waiting.pk).update(enqueued_at=ago(42))
    maintenance_run()
    metric = QueueMetric.objects.filter(queue="default").order_by("-captured_at").first()
    assert metric is not None
    assert (metric.completed, metric.failed, metric.waiting) == (3, 1, 1)
    assert metric.error_rate == pytest.approx(0.25)
    assert metric.run_p50_ms == pytest.approx(200, abs=1)
    assert metric.wait_p50_ms == pytest.approx(1000, abs=5)
    assert metric.throughput_per_minute == pytest.approx(4, rel=0.05)
    assert metric.oldest_waiting_seconds == pytest.approx(42, abs=2)


def test_retention_deletes_old_finished_jobs_only(settings) -> None:
    settings.JOB_RETENTION_DAYS = 7
    old = make_job(status=JobStatus.COMPLETED, completed_at=ago(8 * 86400))
    recent = make_job(status=JobStatus.FAILED, completed_at=ago(86400))
    stuck = make_job(status=JobStatus.PENDING)
    assert maintenance_run().purged_jobs == 1
    assert set(QueueJob.objects.values_list("pk", flat=True)) == {recent.pk, stuck.pk}
    assert not QueueJob.objects.filter(pk=old.pk).exists()
