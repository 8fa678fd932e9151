from __future__ import annotations

import pytest

from jobs.models import JobStatus
from jobs.selectors import queue_stats
from jobs.services import queue_pause
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
    assert {
        k: stats[k]
        for k in [
            "waiting",
            "active",
            "completed",
            "failed",
            "delayed",
            "paused",
            "cancelled",
            "total",
        ]
    } == {
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
