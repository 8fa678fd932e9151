"""A claim and a completion as the ledger and a live subscriber see them."""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token

from jobs import lifecycle
from jobs.models import EventKind, JobStatus, QueueJob
from jobs.services import JobSpec, job_submit, queue_pause
from queueproject.asgi import application
from tests.conftest import Processes
from tests.factories import make_job

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_claimed_job_is_active_on_its_first_attempt_with_a_started_event() -> None:
    job = job_submit(spec=JobSpec(type="system.noop", data={"n": 1}))
    claimed = lifecycle.job_claim(str(job.pk), worker_name="w-7")
    assert claimed is not None
    job.refresh_from_db()
    assert (job.status, job.attempts, job.run_id) == (JobStatus.ACTIVE, 1, claimed.run_id)
    assert (claimed.status, claimed.attempts, claimed.data) == (JobStatus.ACTIVE, 1, {"n": 1})
    assert claimed.started_at == job.started_at is not None
    started = job.events.get(kind=EventKind.STARTED)
    assert (started.status, started.attempt, started.worker_name) == ("active", 1, "w-7")


def test_a_job_already_claimed_is_not_claimed_again() -> None:
    job = job_submit(spec=JobSpec(type="system.noop"))
    assert lifecycle.job_claim(str(job.pk)) is not None
    assert lifecycle.job_claim(str(job.pk)) is None
    job.refresh_from_db()
    assert job.attempts == 1
    assert job.events.filter(kind=EventKind.STARTED).count() == 1


def test_a_job_of_a_paused_queue_is_not_started_but_goes_back_to_pending() -> None:
    queue_pause(queue="default")
    job = make_job(status=JobStatus.WAITING)  # dispatched just before the pause took effect
    assert lifecycle.job_claim(str(job.pk)) is None
    job.refresh_from_db()
    assert (job.status, job.attempts, job.started_at) == (JobStatus.PENDING, 0, None)
    assert not job.events.filter(kind=EventKind.STARTED).exists()


def test_a_completed_attempt_keeps_its_result_and_says_how_long_it_took() -> None:
    job = job_submit(spec=JobSpec(type="system.noop"))
    claimed = lifecycle.job_claim(str(job.pk))
    assert claimed is not None
    lifecycle.job_outcome_record(
        claimed, outcome=lifecycle.Outcome("completed", result={"rows": 3}, seconds=0.25)
    )
    job.refresh_from_db()
    assert (job.status, job.result, job.progress_percent) == ("completed", {"rows": 3}, 100)
    assert job.completed_at is not None
    done = job.events.get(kind=EventKind.COMPLETED)
    assert (done.attempt, done.message) == (1, "completed in 250 ms")


async def receive_status(ws: WebsocketCommunicator, status: str) -> dict[str, Any]:
    while True:
        message: dict[str, Any] = await ws.receive_json_from(timeout=30)
        if message["type"] == "job_status" and message["status"] == status:
            return message


async def test_the_final_message_shows_the_progress_a_worker_horse_wrote(
    processes: Processes,
) -> None:
    def watcher_token() -> str:
        user = User.objects.create_user("watcher", password="pw-1-test", is_staff=True)
        return str(Token.objects.create(user=user).key)

    token = await database_sync_to_async(watcher_token)()
    site = [(b"host", b"127.0.0.1:8000"), (b"origin", b"http://127.0.0.1:8000")]
    ws = WebsocketCommunicator(application, f"/ws/jobs/?token={token}", headers=site)
    assert (await ws.connect(timeout=5))[0]
    spec = JobSpec(type="system.sleep", data={"seconds": 0.3})
    job: QueueJob = await database_sync_to_async(job_submit)(spec=spec)
    await ws.send_json_to({"action": "subscribe", "job_id": str(job.pk)})
    processes.worker()
    final = await receive_status(ws, "completed")
    assert final["progress"] == {
        "percent": 100,
        "stage": "sleeping",
        "message": "",
        "processed": 3,
        "total": 3,
    }
    assert (final["attempts"], final["result"]) == (1, {"slept": 0.3})
    await ws.disconnect()
