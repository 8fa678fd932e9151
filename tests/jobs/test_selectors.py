from __future__ import annotations

import datetime as dt

import pytest

from jobs.models import JobStatus
from jobs.selectors import queue_stats
from jobs.services import queue_pause
from tests.contract import QUEUE_STAT_NAMES
from tests.factories import make_job

pytestmark = pytest.mark.django_db


def test_queue_stats_use_the_seeds_names_per_queue_and_in_total() -> None:
    for status in [
        "pending",
        "waiting",
        "active",
        "completed",
        "completed",
        "failed",
        "scheduled",
        "cancelled",
    ]:
        make_job(queue="default", status=status)
    make_job(queue="uploads", status=JobStatus.WAITING)
    stats = queue_stats()
    assert {k: stats[k] for k in QUEUE_STAT_NAMES} == {
        "waiting": 3,
        "active": 1,
        "completed": 2,
        "failed": 1,
        "delayed": 1,
        "paused": 0,
        "cancelled": 1,
        "total": 9,
    }
    assert stats["queues"]["uploads"]["waiting"] == 1
    assert stats["queues"]["default"]["total"] == 8


@pytest.mark.django_db(transaction=True)
def test_jobs_of_a_paused_queue_count_as_paused() -> None:
    make_job(queue="uploads", status=JobStatus.PENDING)
    queue_pause(queue="uploads")
    stats = queue_stats()
    assert (stats["paused"], stats["waiting"]) == (1, 0)
    assert stats["queues"]["uploads"]["is_paused"] is True


def test_metric_series_combines_the_snapshots_of_each_slice() -> None:
    from django.utils import timezone

    from jobs.models import QueueMetric
    from jobs.selectors import metric_series

    now = timezone.now()

    def snapshot(queue: str, seconds_ago: float, **fields: object) -> None:
        at = now - dt.timedelta(seconds=seconds_ago)
        QueueMetric.objects.create(queue=queue, captured_at=at, interval_seconds=30, **fields)

    # Slice 0 of 2 (the older half hour): two queues at one moment, one of them with no waits.
    snapshot("default", 3000, completed=9, failed=1, wait_p50_ms=100.0, wait_p95_ms=300.0)
    snapshot("uploads", 3000, completed=0, failed=0)
    # Slice 1: two moments of one queue; the newest at the very end of the window.
    snapshot("default", 600, completed=3, failed=0, wait_p50_ms=50.0, run_p95_ms=900.0)
    snapshot("default", 0, completed=3, failed=3, wait_p50_ms=70.0)
    snapshot("default", 7200, completed=99)  # before the window
    older, newer = metric_series(window=dt.timedelta(hours=1), buckets=2, now=now)
    assert older.at == now - dt.timedelta(minutes=45)
    assert (older.throughput_per_minute, older.error_rate) == (20.0, 0.1)
    assert (older.wait_p50_ms, older.wait_p95_ms, older.run_p50_ms) == (100.0, 300.0, None)
    assert newer.at == now - dt.timedelta(minutes=15)
    assert (newer.throughput_per_minute, newer.error_rate) == (9.0, 1 / 3)
    assert (newer.wait_p50_ms, newer.run_p95_ms) == (70.0, 900.0)
