"""The WebSocket protocol as a client sees it, over the real ASGI stack (origin check, session and
token authentication) and a real channels-redis layer on the suite's Redis."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.test import override_settings
from rest_framework.authtoken.models import Token

from jobs.context import JobContext
from jobs.live import job_publish
from jobs.models import JobStatus, QueueJob
from jobs.services.control import job_cancel, job_retry
from jobs.services.submit import JobSpec, job_submit
from queueproject.asgi import application
from tests.factories import make_job, make_upload

pytestmark = pytest.mark.django_db(transaction=True)

SITE = [(b"host", b"127.0.0.1:8000"), (b"origin", b"http://127.0.0.1:8000")]


@database_sync_to_async
def user_with_token(name: str, **flags: Any) -> tuple[User, str]:
    user = User.objects.create_user(name, password="pw-1-test", **flags)
    return user, Token.objects.create(user=user).key


async def connect(path: str, *headers: tuple[bytes, bytes]) -> WebsocketCommunicator:
    ws = WebsocketCommunicator(application, path, headers=[*SITE, *headers])
    connected, _ = await ws.connect(timeout=5)
    assert connected
    return ws


async def receive(ws: WebsocketCommunicator) -> dict[str, Any]:
    message: dict[str, Any] = await ws.receive_json_from(timeout=5)
    return message


async def receive_until(ws: WebsocketCommunicator, kind: str) -> list[dict[str, Any]]:
    """Every message up to and including the first of type `kind`."""
    seen = [await receive(ws)]
    while seen[-1]["type"] != kind:
        seen.append(await receive(ws))
    return seen


async def watcher(name: str = "alice", **flags: Any) -> tuple[User, WebsocketCommunicator]:
    user, token = await user_with_token(name, **flags)
    return user, await connect(f"/ws/jobs/?token={token}")


async def subscribe(ws: WebsocketCommunicator, job: QueueJob) -> None:
    await ws.send_json_to({"action": "subscribe", "job_id": str(job.pk)})


async def watching_an_active_job() -> tuple[WebsocketCommunicator, QueueJob]:
    """A socket subscribed to an active job of its user's, the job's current state received."""
    user, ws = await watcher()
    job = await database_sync_to_async(make_job)(created_by=user, status=JobStatus.ACTIVE)
    await subscribe(ws, job)
    await receive_until(ws, "job_status")
    return ws, job


async def assert_still_open(ws: WebsocketCommunicator) -> None:
    await ws.send_json_to({"action": "ping"})
    assert await receive(ws) == {"type": "pong"}


async def test_subscribing_sends_the_jobs_current_state_at_once() -> None:
    user, ws = await watcher()
    job = await database_sync_to_async(make_job)(
        created_by=user, status=JobStatus.WAITING, priority=3
    )
    await subscribe(ws, job)
    assert await receive(ws) == {"type": "subscribed", "job_id": str(job.pk)}
    state = await receive(ws)
    assert state["type"] == "job_status"
    assert (state["job_id"], state["status"], state["priority"]) == (str(job.pk), "waiting", 3)
    await ws.disconnect()


async def test_seed_message_name_subscribes_and_a_finished_upload_says_complete() -> None:
    user, ws = await watcher()
    stats = {"total_rows": 3, "valid_rows": 2, "invalid_rows": 1, "duplicate_rows": 0}
    job = await database_sync_to_async(make_job)(
        type="uploads.import", created_by=user, status=JobStatus.COMPLETED
    )
    await database_sync_to_async(make_upload)(
        original_name="members.csv",
        job=job,
        validation_stats=stats,
        database_stats={"created": 2},
        error_report="reports/e.xlsx",
    )
    await ws.send_json_to({"type": "subscribe_bulk_upload_job", "job_id": str(job.pk)})
    messages = await receive_until(ws, "bulk_upload_complete")
    assert [m["type"] for m in messages] == ["subscribed", "job_status", "bulk_upload_complete"]
    complete = messages[-1]
    assert complete["stats"]["validation_stats"] == stats
    assert complete["error_report_url"] == f"/api/v1/bulk-upload/errors/{job.pk}"
    await ws.disconnect()


async def test_progress_reported_by_a_handler_reaches_the_subscriber() -> None:
    user, ws = await watcher()
    job = await database_sync_to_async(make_job)(
        type="uploads.import", created_by=user, status=JobStatus.ACTIVE, run_id=uuid.uuid4()
    )
    await subscribe(ws, job)
    await receive_until(ws, "bulk_upload_progress")  # the snapshot of an active upload

    def report() -> None:
        context = JobContext(job)
        context.progress(stage="validating", processed=40, total=100, message="40 of 100")
        context.flush()

    await database_sync_to_async(report)()
    progress = await receive(ws)
    assert progress.pop("updated_at")
    assert progress == {
        "type": "bulk_upload_progress",
        "job_id": str(job.pk),
        "stage": "validating",
        "progress": 40.0,
        "message": "40 of 100",
        "processed": 40,
        "total": 100,
    }
    await ws.disconnect()


async def test_after_unsubscribe_only_the_jobs_still_followed_send_messages() -> None:
    user, ws = await watcher()
    left = await database_sync_to_async(make_job)(created_by=user)
    kept = await database_sync_to_async(make_job)(created_by=user)
    for job in (left, kept):
        await subscribe(ws, job)
        await receive_until(ws, "job_status")
    await ws.send_json_to({"action": "unsubscribe", "job_id": str(left.pk)})
    assert await receive(ws) == {"type": "unsubscribed", "job_id": str(left.pk)}

    def cancel_both() -> None:
        for job in (left, kept):
            job_cancel(job=job)

    await database_sync_to_async(cancel_both)()
    message = await receive(ws)
    assert (message["job_id"], message["status"]) == (str(kept.pk), "cancelled")
    assert await ws.receive_nothing(timeout=1)
    await ws.disconnect()


async def test_a_snapshot_older_than_one_already_sent_is_not_forwarded() -> None:
    ws, job = await watching_an_active_job()
    job_was_running = await database_sync_to_async(QueueJob.objects.get)(pk=job.pk)
    await database_sync_to_async(job_cancel)(job=job)
    assert (await receive(ws))["status"] == "cancelled"

    # A work horse's progress, taken before the cancel, reaches the layer after it.
    job_was_running.progress_processed = 10
    await database_sync_to_async(job_publish)(job_was_running, progress_only=True)
    assert await ws.receive_nothing(timeout=1)
    await ws.disconnect()


async def test_a_burst_of_progress_is_coalesced_but_the_final_state_always_arrives() -> None:
    ws, job = await watching_an_active_job()

    def burst() -> None:
        for processed in range(1, 51):
            job.progress_processed = processed
            job_publish(job, progress_only=True)
        job.status = JobStatus.COMPLETED
        job_publish(job)

    await database_sync_to_async(burst)()
    messages = await receive_until(ws, "job_status")
    while messages[-1]["status"] != "completed":
        messages += await receive_until(ws, "job_status")
    assert len(messages) < 50  # coalesced: the latest snapshot wins
    assert messages[-1]["progress"]["processed"] == 50
    await ws.disconnect()


async def test_someone_elses_job_is_answered_as_a_missing_one() -> None:
    owner, _ = await user_with_token("owner")
    _, ws = await watcher("mallory")
    job = await database_sync_to_async(make_job)(created_by=owner)
    missing = str(uuid.uuid4())
    await subscribe(ws, job)
    refusal = await receive(ws)
    await ws.send_json_to({"action": "subscribe", "job_id": missing})
    absent = await receive(ws)
    assert refusal == {**absent, "message": f"no job {job.pk}", "job_id": str(job.pk)}
    assert refusal["code"] == "not_found"
    await assert_still_open(ws)
    await ws.disconnect()


async def test_staff_may_watch_any_job() -> None:
    owner, _ = await user_with_token("owner")
    _, ws = await watcher("staff", is_staff=True)
    job = await database_sync_to_async(make_job)(created_by=owner)
    await subscribe(ws, job)
    assert (await receive(ws))["type"] == "subscribed"
    await ws.disconnect()


async def test_unknown_and_malformed_job_ids_are_answered_with_errors() -> None:
    _, ws = await watcher()
    unknown = str(uuid.uuid4())
    await ws.send_json_to({"action": "subscribe", "job_id": unknown})
    assert await receive(ws) == {
        "type": "error",
        "code": "not_found",
        "message": f"no job {unknown}",
        "job_id": unknown,
    }
    await ws.send_json_to({"action": "subscribe", "job_id": "42"})
    assert (await receive(ws))["code"] == "invalid_job_id"
    await ws.send_json_to({"action": "subscribe"})
    assert (await receive(ws))["code"] == "invalid_job_id"
    await assert_still_open(ws)
    await ws.disconnect()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("not json at all", "invalid_json"),
        ("[1, 2, 3]", "invalid_message"),
        ('{"action": "dance"}', "unknown_action"),
        ('{"action": "unsubscribe", "job_id": "' + str(uuid.UUID(int=1)) + '"}', "not_subscribed"),
    ],
)
async def test_a_malformed_message_is_answered_and_the_connection_kept(
    frame: str, code: str
) -> None:
    _, ws = await watcher()
    await ws.send_to(text_data=frame)
    answer = await receive(ws)
    assert (answer["type"], answer["code"]) == ("error", code)
    assert answer["message"]
    await assert_still_open(ws)
    await ws.disconnect()


@pytest.mark.parametrize(
    ("path", "told"),
    [("/ws/jobs/?token=not-a-real-token", "invalid token"), ("/ws/jobs/", "?token=")],
    ids=["a-bad-token-is-told-why", "no-credentials-is-told-to-log-in"],
)
async def test_a_connection_without_valid_credentials_is_told_why_and_disconnected(
    path: str, told: str
) -> None:
    ws = await connect(path)
    refusal = await receive(ws)
    assert refusal["code"] == "not_authenticated"
    assert told in refusal["message"]
    assert (await ws.receive_output(timeout=5)) == {"type": "websocket.close", "code": 4401}
    await ws.disconnect()


@pytest.mark.parametrize("allowed_hosts", [["127.0.0.1"], ["*"]])
async def test_a_foreign_origin_is_refused_at_the_handshake(allowed_hosts: list[str]) -> None:
    _, token = await user_with_token("alice")
    headers = [(b"host", b"127.0.0.1:8000"), (b"origin", b"https://evil.example")]
    with override_settings(ALLOWED_HOSTS=allowed_hosts):
        ws = WebsocketCommunicator(application, f"/ws/jobs/?token={token}", headers=headers)
        connected, _ = await ws.connect(timeout=5)
    assert not connected


async def test_an_origin_listed_in_csrf_trusted_origins_is_let_in() -> None:
    _, token = await user_with_token("alice")
    headers = [(b"host", b"127.0.0.1:8000"), (b"origin", b"https://queue.example.org")]
    with override_settings(CSRF_TRUSTED_ORIGINS=["https://queue.example.org"]):
        ws = WebsocketCommunicator(application, f"/ws/jobs/?token={token}", headers=headers)
        connected, _ = await ws.connect(timeout=5)
    assert connected
    await ws.disconnect()


async def test_the_session_cookie_of_a_logged_in_browser_authenticates() -> None:
    user, _ = await user_with_token("alice")
    job = await database_sync_to_async(make_job)(created_by=user)

    def session_cookie() -> bytes:
        from django.test import Client

        client = Client()
        client.force_login(user)
        return f"sessionid={client.cookies['sessionid'].value}".encode()

    ws = await connect("/ws/jobs/", (b"cookie", await database_sync_to_async(session_cookie)()))
    await subscribe(ws, job)
    assert (await receive(ws))["type"] == "subscribed"
    await ws.disconnect()


async def test_the_token_header_authenticates_a_client_without_origin() -> None:
    user, token = await user_with_token("alice")
    job = await database_sync_to_async(make_job)(created_by=user)
    ws = WebsocketCommunicator(
        application, "/ws/jobs/", headers=[(b"authorization", f"Token {token}".encode())]
    )
    assert (await ws.connect(timeout=5))[0]
    await subscribe(ws, job)
    assert (await receive(ws))["type"] == "subscribed"
    await ws.disconnect()


async def test_dashboard_sends_counts_at_once_and_again_when_they_change() -> None:
    user, token = await user_with_token("staff", is_staff=True)
    ws = await connect(f"/ws/dashboard/?token={token}")
    first = await receive(ws)
    assert first["type"] == "queue_stats"
    waiting_before = first["data"]["waiting"]

    await database_sync_to_async(job_submit)(spec=JobSpec(type="system.noop"), created_by=user)
    changed = await receive(ws)
    assert changed["type"] == "queue_stats"
    assert changed["data"]["waiting"] == waiting_before + 1
    await ws.disconnect()


async def test_dashboard_is_for_staff_only() -> None:
    _, token = await user_with_token("alice")
    ws = await connect(f"/ws/dashboard/?token={token}")
    refusal = await receive(ws)
    assert refusal["code"] == "forbidden"
    assert (await ws.receive_output(timeout=5)) == {"type": "websocket.close", "code": 4403}
    await ws.disconnect()


async def test_a_retried_job_is_shown_waiting_again() -> None:
    user, ws = await watcher()
    job = await database_sync_to_async(make_job)(
        created_by=user, status=JobStatus.FAILED, error_message="boom"
    )
    await subscribe(ws, job)
    assert (await receive_until(ws, "job_status"))[-1]["status"] == "failed"
    await database_sync_to_async(job_retry)(job=job)
    again = await receive(ws)
    assert again["type"] == "job_status"
    assert again["status"] in ("pending", "waiting")
    assert again["error_message"] == ""
    await ws.disconnect()


async def test_deeply_nested_json_is_answered_with_an_error_and_the_socket_stays_open() -> None:
    _, ws = await watcher()
    await ws.send_to(text_data="[" * 100_000)
    assert await receive(ws) == {
        "type": "error",
        "code": "invalid_json",
        "message": "the message is nested too deeply",
    }
    await assert_still_open(ws)
    await ws.disconnect()
