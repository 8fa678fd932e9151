"""Maintenance: the ledger heals itself.

`maintenance_tick()` runs every second: it dispatches scheduled jobs that are due and pending jobs
that never reached Redis. `maintenance_run()` runs every MAINTENANCE_INTERVAL seconds: it marks
silent workers dead, returns their jobs to the queue (failing a job stalled more than
MAX_STALLED_COUNT times), re-dispatches waiting jobs that Redis lost, snapshots queue metrics and
applies retention. Every step is a compare-and-set, so two maintenance processes cannot both win.
"""

from __future__ import annotations

import datetime as dt
import logging
import statistics
from dataclasses import dataclass, field
from typing import Any

import redis
from django.conf import settings
from django.db.models import F, Min, Q
from django.utils import timezone

from jobs.lifecycle import job_attempt_fail, jobs_withdraw
from jobs.models import (
    EventKind,
    JobStatus,
    QueueJob,
    QueueMetric,
    QueueWorker,
    WorkerStatus,
)
from jobs.selectors import job_counts_by_queue_and_status, paused_queues
from jobs.services.dispatch import configured_queues, job_requeue, jobs_dispatch
from jobs.services.idempotency import idempotency_purge
from queueproject.redis_client import get_redis
from queueproject.redis_settings import worker_queue_names

logger = logging.getLogger("jobs.maintenance")

LIVE_WORKER = [WorkerStatus.IDLE, WorkerStatus.BUSY, WorkerStatus.SUSPENDED]
PENDING_GRACE = dt.timedelta(seconds=2)  # leave fresh rows to their own on_commit dispatch
LOST_GRACE = dt.timedelta(seconds=5)


@dataclass
class MaintenanceReport:
    dispatched: int = 0
    dead_workers: int = 0
    recovered: int = 0
    stalled_failed: int = 0
    redispatched: int = 0
    metrics: int = 0
    purged_jobs: int = 0
    details: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        return (
            f"dispatched {self.dispatched}, dead workers {self.dead_workers}, "
            f"recovered {self.recovered} stalled (failed {self.stalled_failed}), "
            f"re-dispatched {self.redispatched} lost, metrics {self.metrics}, "
            f"purged {self.purged_jobs} old jobs"
        )


def maintenance_tick() -> int:
    """Dispatch what is due: scheduled jobs whose time has come, pending jobs left behind."""
    now = timezone.now()
    due = QueueJob.objects.filter(
        Q(status=JobStatus.SCHEDULED, scheduled_at__lte=now)
        | Q(status=JobStatus.PENDING, updated_at__lte=now - PENDING_GRACE)
    ).exclude(queue__in=paused_queues())  # a paused backlog must not crowd out the rest
    ids = list(due.order_by("priority", "created_at").values_list("pk", flat=True)[:5000])
    return jobs_dispatch(ids=ids) if ids else 0


def maintenance_run(*, now: dt.datetime | None = None) -> MaintenanceReport:
    report = MaintenanceReport()
    now = now or timezone.now()
    report.dead_workers = workers_mark_dead(now=now)
    report.recovered, report.stalled_failed = jobs_recover_stalled(now=now)
    report.redispatched = jobs_redispatch_lost(now=now)
    report.dispatched = maintenance_tick()
    report.metrics = metrics_snapshot(now=now)
    report.purged_jobs = retention_apply(now=now)
    return report


def workers_mark_dead(*, now: dt.datetime) -> int:
    silent_since = now - dt.timedelta(seconds=settings.WORKER_DEAD_AFTER)
    return QueueWorker.objects.filter(
        status__in=LIVE_WORKER, last_heartbeat__lt=silent_since
    ).update(status=WorkerStatus.DEAD, current_job=None)


def jobs_recover_stalled(*, now: dt.datetime) -> tuple[int, int]:
    """Active jobs whose worker is dead or stopped go back to the queue (or fail if they keep
    stalling). Returns (recovered, failed)."""
    silent_since = now - dt.timedelta(seconds=settings.WORKER_DEAD_AFTER)
    stalled = QueueJob.objects.filter(status=JobStatus.ACTIVE).filter(
        Q(worker__status__in=[WorkerStatus.DEAD, WorkerStatus.STOPPED])
        | Q(worker__isnull=True, started_at__lt=silent_since)
    )
    recovered = failed = 0
    for job in stalled.select_related("worker"):
        if _recover(job, now=now):
            recovered += 1
        else:
            failed += 1
    return recovered, failed


def _recover(job: QueueJob, *, now: dt.datetime) -> bool:
    worker = job.worker.name if job.worker else "unknown worker"
    stalls = job.stalled_count + 1
    if stalls > settings.MAX_STALLED_COUNT:
        message = f"stalled {stalls} times (worker {worker} stopped answering)"
        if job_attempt_fail(job, message=message, permanent=True):
            QueueJob.objects.filter(pk=job.pk).update(stalled_count=stalls)
        return False
    job_requeue(
        job,
        reason=f"worker {worker} stopped answering: back to the queue",
        kind=EventKind.STALLED,
        stalled_count=F("stalled_count") + 1,
    )
    return True


def jobs_redispatch_lost(*, now: dt.datetime) -> int:
    """Waiting jobs whose RQ entry is gone (Redis restarted or flushed) are dispatched again."""
    waiting = QueueJob.objects.filter(status=JobStatus.WAITING, enqueued_at__lt=now - LOST_GRACE)
    ids = [str(pk) for pk in waiting.values_list("pk", flat=True)]
    if not ids:
        return 0
    try:
        lost = _missing_from_redis(ids)
    except redis.RedisError as exc:
        logger.warning("Redis unavailable, lost-job check skipped: %s", exc)
        return 0
    moved = sum(
        jobs_withdraw(QueueJob.objects.filter(pk__in=lost[i : i + 500]), updated_at=now)
        for i in range(0, len(lost), 500)
    )
    if moved:
        logger.warning("%d waiting jobs were missing from Redis: dispatching them again", moved)
    return jobs_dispatch(ids=lost) if moved else 0


def _missing_from_redis(ids: list[str]) -> list[str]:
    """Ids that no RQ queue holds and no worker is running."""
    connection = get_redis()
    with connection.pipeline(transaction=False) as pipe:
        for name in worker_queue_names(configured_queues()):
            pipe.lrange(f"rq:queue:{name}", 0, -1)
        queued = {job_id.decode() for ids_ in pipe.execute() for job_id in ids_}
    candidates = [job_id for job_id in ids if job_id not in queued]
    with connection.pipeline(transaction=False) as pipe:
        for job_id in candidates:
            pipe.hget(f"rq:job:{job_id}", "status")
        states = pipe.execute()
    return [i for i, state in zip(candidates, states, strict=True) if state != b"started"]


def metrics_snapshot(*, now: dt.datetime) -> int:
    """One QueueMetric row per queue for the interval since the previous snapshot."""
    previous = QueueMetric.objects.order_by("-captured_at").values_list("captured_at", flat=True)
    since = previous.first() or now - dt.timedelta(seconds=settings.MAINTENANCE_INTERVAL)
    interval = max((now - since).total_seconds(), 0.001)
    counts = job_counts_by_queue_and_status()
    live = list(QueueWorker.objects.filter(status__in=LIVE_WORKER).values_list("queues", flat=True))
    rows = [
        _metric(queue, counts, live, since=since, now=now, interval=interval)
        for queue in configured_queues()
    ]
    QueueMetric.objects.bulk_create(rows)
    return len(rows)


def _metric(
    queue: str,
    counts: dict[tuple[str, str], int],
    live: list[list[str]],
    *,
    since: dt.datetime,
    now: dt.datetime,
    interval: float,
) -> QueueMetric:
    in_queue = QueueJob.objects.filter(queue=queue)
    finished = in_queue.filter(completed_at__gt=since, completed_at__lte=now)
    completed = list(
        finished.filter(status=JobStatus.COMPLETED).values_list("started_at", "completed_at")[
            :20000
        ]
    )
    failed = finished.filter(status=JobStatus.FAILED).count()
    started = in_queue.filter(started_at__gt=since, started_at__lte=now, enqueued_at__isnull=False)
    pairs = started.values_list("enqueued_at", "started_at")[:20000]
    waits = [_ms(s - e) for e, s in pairs if s and e]
    runs = [_ms(c - s) for s, c in completed if s and c]
    oldest = in_queue.filter(status=JobStatus.WAITING).aggregate(t=Min("enqueued_at"))["t"]
    prefix = f"{queue}."
    return QueueMetric(
        queue=queue,
        captured_at=now,
        interval_seconds=interval,
        waiting=counts.get((queue, JobStatus.WAITING), 0)
        + counts.get((queue, JobStatus.PENDING), 0),
        active=counts.get((queue, JobStatus.ACTIVE), 0),
        scheduled=counts.get((queue, JobStatus.SCHEDULED), 0),
        workers=sum(1 for names in live if any(n.startswith(prefix) for n in names or [])),
        completed=len(completed),
        failed=failed,
        throughput_per_minute=(len(completed) + failed) * 60 / interval,
        error_rate=failed / (len(completed) + failed) if completed or failed else 0.0,
        oldest_waiting_seconds=(now - oldest).total_seconds() if oldest else None,
        **_summary("wait", waits),
        **_summary("run", runs),
    )


def _ms(delta: dt.timedelta) -> float:
    return delta.total_seconds() * 1000


def _summary(prefix: str, values: list[float]) -> dict[str, float | None]:
    if not values:
        return {f"{prefix}_avg_ms": None, f"{prefix}_p50_ms": None, f"{prefix}_p95_ms": None}
    ordered = sorted(values)
    return {
        f"{prefix}_avg_ms": statistics.fmean(ordered),
        f"{prefix}_p50_ms": _percentile(ordered, 50),
        f"{prefix}_p95_ms": _percentile(ordered, 95),
    }


def _percentile(ordered: list[float], pct: float) -> float:
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def retention_apply(*, now: dt.datetime) -> int:
    """Delete finished jobs older than JOB_RETENTION_DAYS and metrics older than theirs."""
    from jobs.services.bulk import jobs_clean

    idempotency_purge(now=now)
    QueueMetric.objects.filter(
        captured_at__lt=now - dt.timedelta(days=settings.METRICS_RETENTION_DAYS)
    ).delete()
    QueueWorker.objects.filter(
        status__in=[WorkerStatus.STOPPED, WorkerStatus.DEAD],
        last_heartbeat__lt=now - dt.timedelta(days=settings.JOB_RETENTION_DAYS),
    ).delete()
    return jobs_clean(older_than=dt.timedelta(days=settings.JOB_RETENTION_DAYS), now=now)
