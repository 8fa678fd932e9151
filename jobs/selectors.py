"""Reads of the job ledger."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, FloatField, Func, Max, Min, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Floor, Least
from django.utils import timezone

from jobs import roles
from jobs.models import (
    EventKind,
    JobEvent,
    JobStatus,
    QueueJob,
    QueueMetric,
    QueueState,
    QueueWorker,
    WorkerStatus,
)

# COUNT(*), not COUNT(id): PostgreSQL then counts from an index on the grouped columns alone
# (queue, status) without reading the table for the ids (a million jobs: 160 -> 80 ms).
ROWS = Count("*")

STAT_KEYS = ["waiting", "active", "completed", "failed", "delayed", "paused", "cancelled", "total"]


def job_counts_by_status(*, jobs: QuerySet[QueueJob] | None = None) -> dict[str, int]:
    """Every status with its number of jobs (of `jobs`, or all), zeros included, in lifecycle
    order."""
    jobs = QueueJob.objects.all() if jobs is None else jobs
    counts = dict(jobs.order_by().values_list("status").annotate(n=ROWS).values_list("status", "n"))
    return {status: counts.get(status, 0) for status in JobStatus.values}


def job_counts_by_queue_and_status(
    *, jobs: QuerySet[QueueJob] | None = None
) -> dict[tuple[str, str], int]:
    """(queue, status) -> jobs (of `jobs`, or all), for the pairs that have any."""
    jobs = QueueJob.objects.all() if jobs is None else jobs
    rows = jobs.order_by().values_list("queue", "status").annotate(n=ROWS)
    return {(queue, status): n for queue, status, n in rows}


def paused_queues() -> set[str]:
    return set(QueueState.objects.filter(paused=True).values_list("queue", flat=True))


def queue_max_waiting(queue: str) -> int:
    """The backpressure limit of a queue (QUEUE_MAX_WAITING), 0 for none."""
    limits: dict[str, int] = settings.QUEUE_MAX_WAITING
    return limits.get(queue, limits.get("*", 0))


def queue_stats(*, jobs: QuerySet[QueueJob] | None = None) -> dict[str, Any]:
    """Counts under the seeds' names, for all queues and per queue, of `jobs` (or all jobs).
    `waiting` holds the jobs that wait to run (pending or in Redis); in a paused queue they count
    as `paused` instead; `delayed` are the scheduled ones (including retry backoff)."""
    paused = paused_queues()
    queues = {name: _empty(name in paused) for name in settings.JOB_QUEUES}
    for (queue, status), n in job_counts_by_queue_and_status(jobs=jobs).items():
        stats = queues.setdefault(queue, _empty(queue in paused))
        key = _stat_key(status, is_paused=queue in paused)
        stats[key] += n
        stats["total"] += n
    totals = {key: sum(q[key] for q in queues.values()) for key in STAT_KEYS}
    return {**totals, "queues": queues}


def queue_counts(*, queue: str) -> dict[str, int]:
    """One queue's counts under the seeds' names, as queue_stats gives them, without the flag
    that says whether it is paused."""
    stats = queue_stats(jobs=QueueJob.objects.filter(queue=queue))["queues"]
    counts = stats.get(queue) or _empty(False)
    return {key: counts[key] for key in STAT_KEYS}


def _empty(is_paused: bool) -> dict[str, Any]:
    return {**dict.fromkeys(STAT_KEYS, 0), "is_paused": is_paused}


def _stat_key(status: str, *, is_paused: bool) -> str:
    if status in (JobStatus.PENDING, JobStatus.WAITING):
        return "paused" if is_paused else "waiting"
    return "delayed" if status == JobStatus.SCHEDULED else status


def job_find(job_id: Any) -> QueueJob | None:
    """The job with this id, or None."""
    return QueueJob.objects.filter(pk=job_id).first()


def job_visible_list(user: Any) -> QuerySet[QueueJob]:
    """The jobs `user` may see, newest first: staff every job, anyone else their own, nobody
    signed in none (None: every job, for the commands and services). Filter them with
    jobs.filters.job_filter."""
    jobs = QueueJob.objects.select_related("created_by").order_by("-created_at")
    if user is None or roles.can_see_all(user):
        return jobs
    if not getattr(user, "is_authenticated", False):
        return jobs.none()
    return jobs.filter(created_by=user)


def processing_suspended() -> bool:
    """True when every configured queue is paused (the seeds' worker "stopped")."""
    return set(settings.JOB_QUEUES) <= paused_queues()


def metric_list(
    *, queue: str | None = None, since: dt.datetime | None = None, limit: int = 1000
) -> list[QueueMetric]:
    """Metric snapshots, newest first, optionally of one queue and since a moment."""
    metrics = QueueMetric.objects.order_by("-captured_at")
    if queue:
        metrics = metrics.filter(queue=queue)
    if since is not None:
        metrics = metrics.filter(captured_at__gte=since)
    return list(metrics[:limit])


def worker_list(*, include_gone: bool = False) -> QuerySet[QueueWorker]:
    workers = QueueWorker.objects.all()
    if not include_gone:
        workers = workers.exclude(status__in=[WorkerStatus.STOPPED, WorkerStatus.DEAD])
    return workers.order_by("name")


@dataclass(frozen=True)
class QueueGauges:
    """The ledger's current state as the numbers an operator alerts on (GET /metrics)."""

    queues: list[str]  # configured queues first, then any other queue that holds jobs
    jobs: dict[tuple[str, str], int]  # (queue, status) -> jobs, zeros included
    paused: dict[str, bool]
    processing_suspended: bool
    oldest_waiting_seconds: dict[str, float]  # 0 when nothing waits
    max_waiting: dict[str, int]  # backpressure limit, 0 = none
    workers: dict[str, int]  # worker status -> workers, zeros included
    queue_workers: dict[str, int]  # live (not stopped or dead) workers serving each queue


def queue_gauges(*, now: dt.datetime | None = None) -> QueueGauges:
    """Four aggregate queries, whatever the size of the ledger."""
    now = now or timezone.now()
    counts = job_counts_by_queue_and_status()
    paused = paused_queues()
    queues = list(dict.fromkeys([*settings.JOB_QUEUES, *(q for q, _ in counts), *paused]))
    oldest = _oldest_waiting(now)
    workers, queue_workers = _worker_gauges(queues)
    return QueueGauges(
        queues=queues,
        jobs={(q, s): counts.get((q, s), 0) for q in queues for s in JobStatus.values},
        paused={q: q in paused for q in queues},
        processing_suspended=set(settings.JOB_QUEUES) <= paused,
        oldest_waiting_seconds={q: oldest.get(q, 0.0) for q in queues},
        max_waiting={q: queue_max_waiting(q) for q in queues},
        workers=workers,
        queue_workers=queue_workers,
    )


def _oldest_waiting(now: dt.datetime) -> dict[str, float]:
    """Age of the oldest job that waits to run (pending or waiting), from when it was handed to
    Redis; a job not handed over yet (paused queue, Redis down) counts from when it became due."""
    since = Coalesce("enqueued_at", "scheduled_at", "created_at")
    rows = (
        QueueJob.objects.filter(status__in=[JobStatus.PENDING, JobStatus.WAITING])
        .order_by()
        .values("queue")
        .annotate(at=Min(since))
        .values_list("queue", "at")
    )
    return {queue: max(0.0, (now - at).total_seconds()) for queue, at in rows if at}


def _worker_gauges(queues: list[str]) -> tuple[dict[str, int], dict[str, int]]:
    by_status = dict.fromkeys(WorkerStatus.values, 0)
    by_queue = dict.fromkeys(queues, 0)
    for status, rq_queues in QueueWorker.objects.values_list("status", "queues"):
        by_status[status] = by_status.get(status, 0) + 1
        if status in (WorkerStatus.STOPPED, WorkerStatus.DEAD):
            continue
        # A worker listens on RQ queues such as "uploads.p01": one per priority level.
        for queue in {name.rpartition(".")[0] for name in rq_queues or []}:
            by_queue[queue] = by_queue.get(queue, 0) + 1
    return by_status, by_queue


def oldest_waiting_seconds(*, now: dt.datetime | None = None) -> dict[str, float]:
    """Per queue, the age of the oldest job that waits to run; queues with none are left out."""
    return _oldest_waiting(now or timezone.now())


def queue_backlog_by_priority() -> dict[str, dict[int, int]]:
    """queue -> priority -> jobs waiting to run (pending or waiting), where there are any."""
    rows = (
        QueueJob.objects.filter(status__in=[JobStatus.PENDING, JobStatus.WAITING])
        .order_by()
        .values_list("queue", "priority")
        .annotate(n=ROWS)
    )
    backlog: dict[str, dict[int, int]] = {}
    for queue, priority, n in rows:
        backlog.setdefault(queue, {})[priority] = n
    return backlog


def job_count_capped(jobs: QuerySet[QueueJob], *, cap: int) -> int:
    """How many jobs match, counted exactly up to `cap`; cap + 1 means "more than cap"."""
    return jobs.order_by().values("pk")[: cap + 1].count()


def job_events(job: QueueJob) -> list[JobEvent]:
    """The job's history, oldest first, with the actor of each event."""
    return list(job.events.select_related("actor").order_by("at", "id"))


@dataclass(frozen=True)
class Attempt:
    number: int
    worker: str
    started_at: dt.datetime
    ended_at: dt.datetime | None  # None while it runs
    outcome: str  # the event kind that ended it, or "" while it runs
    error: str

    @property
    def duration(self) -> dt.timedelta | None:
        return None if self.ended_at is None else self.ended_at - self.started_at


ATTEMPT_ENDS = {
    EventKind.COMPLETED,
    EventKind.FAILED,
    EventKind.HANDED_BACK,
    EventKind.STALLED,
    EventKind.CANCELLED,
}


def job_attempts(events: Sequence[JobEvent]) -> list[Attempt]:
    """The attempts told by a job's events: each start, and the event that ended it."""
    attempts: list[Attempt] = []
    open_: JobEvent | None = None
    for event in events:
        if event.kind == EventKind.STARTED:
            if open_ is not None:  # a start without an end: the attempt was lost
                attempts.append(_attempt(open_, None))
            open_ = event
        elif event.kind in ATTEMPT_ENDS and open_ is not None:
            attempts.append(_attempt(open_, event))
            open_ = None
    if open_ is not None:
        attempts.append(_attempt(open_, None))
    return attempts


def _attempt(start: JobEvent, end: JobEvent | None) -> Attempt:
    return Attempt(
        number=start.attempt,
        worker=start.worker_name,
        started_at=start.at,
        ended_at=end.at if end else None,
        outcome=end.kind if end else "",
        error=end.message if end and end.kind != EventKind.COMPLETED else "",
    )


@dataclass(frozen=True)
class MetricPoint:
    """All queues' snapshots within one time bucket, combined."""

    at: dt.datetime
    throughput_per_minute: float
    wait_p50_ms: float | None
    wait_p95_ms: float | None
    run_p50_ms: float | None
    run_p95_ms: float | None
    error_rate: float


class _Epoch(Func):
    """Seconds since 1970 of a datetime (SQLite keeps datetimes as UTC text)."""

    template = "EXTRACT(EPOCH FROM %(expressions)s)"
    output_field = FloatField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "((julianday(%(expressions)s) - 2440587.5) * 86400.0)"
        return self.as_sql(compiler, connection, template=template, **extra)


def metric_series(
    *, window: dt.timedelta, buckets: int = 60, now: dt.datetime | None = None
) -> list[MetricPoint]:
    """The queue_metrics snapshots of the last `window`, in `buckets` equal slices (empty slices
    left out): jobs finished per minute, error rate, and the slice's worst p50/p95 wait and run
    times (the snapshots' percentiles cannot be merged exactly)."""
    now = now or timezone.now()
    start = now - window
    width = window / buckets
    # The database sums each slice: 7 days of 30 s snapshots of two queues are 40,000 rows, and
    # reading them into Python cost 200 ms (mostly parsing their timestamps).
    offset = (_Epoch("captured_at") - start.timestamp()) / width.total_seconds()
    slices = (
        QueueMetric.objects.filter(captured_at__gte=start)
        .order_by()
        .values(slice=Least(Floor(offset), Value(float(buckets - 1))))
        .annotate(
            completed=Sum("completed"),
            failed=Sum("failed"),
            interval=Max("interval_seconds"),
            snapshots=Count("captured_at", distinct=True),
            wait_p50=Max("wait_p50_ms"),
            wait_p95=Max("wait_p95_ms"),
            run_p50=Max("run_p50_ms"),
            run_p95=Max("run_p95_ms"),
        )
        .order_by("slice")
    )
    return [_metric_point(start + width * (int(row["slice"]) + 0.5), row) for row in slices]


def _metric_point(at: dt.datetime, row: dict[str, Any]) -> MetricPoint:
    completed, failed = row["completed"], row["failed"]
    seconds = row["interval"] * row["snapshots"]
    return MetricPoint(
        at=at,
        throughput_per_minute=(completed + failed) * 60 / seconds if seconds else 0.0,
        wait_p50_ms=row["wait_p50"],
        wait_p95_ms=row["wait_p95"],
        run_p50_ms=row["run_p50"],
        run_p95_ms=row["run_p95"],
        error_rate=failed / (completed + failed) if completed + failed else 0.0,
    )
