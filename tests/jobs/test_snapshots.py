"""A job's progress and status read the same in the API's answers and in the live messages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from jobs.api.serializers import JobSerializer
from jobs.live import job_status_message
from jobs.models import JobStatus
from tests.factories import make_job
from uploads.live import upload_messages

pytestmark = pytest.mark.django_db

STATE = ["status", "progress", "attempts", "max_attempts", "result", "error_message"]
TIMES = ["created_at", "scheduled_at", "started_at", "completed_at"]


def _running_job(job_type: str = "system.sleep"):  # type: ignore[no-untyped-def]
    job = make_job(
        type=job_type,
        status=JobStatus.ACTIVE,
        attempts=1,
        started_at=timezone.now(),
        scheduled_at=timezone.now() - dt.timedelta(minutes=1),
        progress_percent=42.5,
        progress_stage="writing",
        progress_message="425 of 1000 rows",
        progress_processed=425,
        progress_total=1000,
    )
    job.refresh_from_db()
    return job


def test_the_api_and_the_job_status_message_agree_on_state_and_times() -> None:
    job = _running_job()
    answer, message = JobSerializer(job).data, job_status_message(job)
    for key in STATE + TIMES:
        assert answer[key] == message[key], key
    assert message["progress"] == {
        "percent": 42.5,
        "stage": "writing",
        "message": "425 of 1000 rows",
        "processed": 425,
        "total": 1000,
    }


def test_the_upload_progress_message_carries_the_api_progress_under_the_seeds_names() -> None:
    job = _running_job("uploads.import")
    progress = JobSerializer(job).data["progress"]
    (message,) = upload_messages(job)
    assert message == {
        "type": "bulk_upload_progress",
        "job_id": str(job.pk),
        "stage": progress["stage"],
        "progress": progress["percent"],
        "message": progress["message"],
        "processed": progress["processed"],
        "total": progress["total"],
    }
