"""WebSocket consumers: /ws/jobs/ (follow jobs live) and /ws/dashboard/ (queue counts).

Every problem with a client's message is answered on the socket with
`{"type": "error", "code", "message"}` and the connection stays open; only a client without
valid credentials is closed (4401 after the error message). Messages to clients are the
snapshots jobs.events builds.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from jobs import roles
from jobs.events import (
    DASHBOARD_GROUP,
    DASHBOARD_INTERVAL,
    EVENT_TYPE,
    Message,
    job_group,
    job_messages,
)
from jobs.models import QueueJob
from jobs.selectors import queue_stats

MAX_SUBSCRIPTIONS = 500
DASHBOARD_REFRESH = 5.0  # also recount now and then: not every change of counts is announced
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403

SUBSCRIBE = {"subscribe", "subscribe_bulk_upload_job"}
UNSUBSCRIBE = {"unsubscribe", "unsubscribe_bulk_upload_job"}


def error(code: str, message: str, **fields: Any) -> Message:
    return {"type": "error", "code": code, "message": message, **fields}


class LiveConsumer(AsyncJsonWebsocketConsumer):
    """Accepts, then refuses with a message a client it cannot authenticate or allow."""

    async def connect(self) -> None:
        await self.accept()
        user = self.scope.get("user")
        if not getattr(user, "is_authenticated", False):
            reason = self.scope.get("auth_error") or (
                "authentication required: log in, or connect with ?token=<API token>"
            )
            await self.refuse("not_authenticated", reason, CLOSE_UNAUTHENTICATED)
            return
        if not self.allowed(user):
            await self.refuse("forbidden", "you may not watch this", CLOSE_FORBIDDEN)
            return
        await self.start()

    async def refuse(self, code: str, message: str, close_code: int) -> None:
        await self.send_json(error(code, message))
        await self.close(code=close_code)

    def allowed(self, user: Any) -> bool:
        return True

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels hops to a thread to close stale database connections before every handler;
        # live messages touch no database, and that hop per socket per message was most of the
        # delivery time with a hundred sockets watching one job.
        if message["type"] == EVENT_TYPE:
            await self.live_messages(message)
        else:
            await super().dispatch(message)

    async def live_messages(self, event: dict[str, Any]) -> None:
        """A batch of snapshots published to a group this socket is in."""

    async def start(self) -> None:
        """Called once the client is authenticated and allowed."""

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            content = json.loads(text_data if text_data is not None else (bytes_data or b""))
        except (ValueError, UnicodeDecodeError):
            await self.send_json(error("invalid_json", "a message must be a JSON object"))
            return
        if not isinstance(content, dict):
            await self.send_json(error("invalid_message", "a message must be a JSON object"))
            return
        await self.receive_json(content)

    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        if content.get("action") == "ping" or content.get("type") == "ping":
            await self.send_json({"type": "pong"})
            return
        await self.send_json(error("unknown_action", "this endpoint takes no such message"))


class JobsConsumer(LiveConsumer):
    """Subscribe to jobs by id; get the current state at once, then every change."""

    subscriptions: set[str]

    async def start(self) -> None:
        self.subscriptions = set()

    async def disconnect(self, code: int) -> None:
        for job_id in getattr(self, "subscriptions", set()):
            await self.channel_layer.group_discard(job_group(job_id), self.channel_name)

    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        action = content.get("action") or content.get("type")
        if action in SUBSCRIBE:
            await self.subscribe(content.get("job_id"))
        elif action in UNSUBSCRIBE:
            await self.unsubscribe(content.get("job_id"))
        elif action == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self.send_json(
                error(
                    "unknown_action",
                    f"unknown action {action!r}: use subscribe, unsubscribe or ping",
                )
            )

    async def subscribe(self, raw_id: Any) -> None:
        job_id = _job_id(raw_id)
        if job_id is None:
            await self.send_json(error("invalid_job_id", "job_id must be a job's UUID"))
            return
        job = await _job(job_id)
        if job is None:
            await self.send_json(error("not_found", f"no job {job_id}", job_id=job_id))
            return
        if not _may_see(self.scope["user"], job):
            message = f"you may not watch job {job_id}: it is not yours"
            await self.send_json(error("forbidden", message, job_id=job_id))
            return
        if job_id not in self.subscriptions and len(self.subscriptions) >= MAX_SUBSCRIPTIONS:
            message = f"at most {MAX_SUBSCRIPTIONS} subscriptions per connection"
            await self.send_json(error("too_many_subscriptions", message, job_id=job_id))
            return
        # Join first, then read: a change made in between arrives as a message, never lost.
        await self.channel_layer.group_add(job_group(job_id), self.channel_name)
        self.subscriptions.add(job_id)
        await self.send_json({"type": "subscribed", "job_id": job_id})
        for message in await _snapshot(job_id):
            await self.send_json(message)

    async def unsubscribe(self, raw_id: Any) -> None:
        job_id = _job_id(raw_id)
        if job_id is None or job_id not in self.subscriptions:
            await self.send_json(error("not_subscribed", f"not subscribed to {raw_id!r}"))
            return
        self.subscriptions.discard(job_id)
        await self.channel_layer.group_discard(job_group(job_id), self.channel_name)
        await self.send_json({"type": "unsubscribed", "job_id": job_id})

    async def live_messages(self, event: dict[str, Any]) -> None:
        for message in event["messages"]:
            if message.get("job_id") in self.subscriptions:
                await self.send_json(message)


class DashboardConsumer(LiveConsumer):
    """Queue counts for staff: at once, then whenever they change, at most twice a second."""

    def allowed(self, user: Any) -> bool:
        return roles.can_see_all(user)

    async def start(self) -> None:
        self.last_stats: dict[str, Any] | None = None
        self.sent_at = 0.0
        self.changed_at = time.monotonic()
        self.timer: asyncio.TimerHandle | None = None
        await self.channel_layer.group_add(DASHBOARD_GROUP, self.channel_name)
        await self.send_stats()
        self.refresher = asyncio.ensure_future(self.refresh_now_and_then())

    async def disconnect(self, code: int) -> None:
        if getattr(self, "refresher", None):
            self.refresher.cancel()
        timer = getattr(self, "timer", None)
        if timer is not None:
            timer.cancel()
        await self.channel_layer.group_discard(DASHBOARD_GROUP, self.channel_name)

    async def live_messages(self, event: dict[str, Any]) -> None:
        self.changed_at = time.monotonic()
        if self.timer is not None:
            return  # a send is already due
        wait = self.sent_at + DASHBOARD_INTERVAL - time.monotonic()
        if wait <= 0:
            await self.send_stats()
        else:
            loop = asyncio.get_running_loop()
            self.timer = loop.call_later(wait, lambda: asyncio.ensure_future(self.send_stats()))

    async def refresh_now_and_then(self) -> None:
        while True:
            await asyncio.sleep(DASHBOARD_REFRESH)
            self.changed_at = max(self.changed_at, time.monotonic() - DASHBOARD_INTERVAL)
            await self.send_stats()

    async def send_stats(self) -> None:
        self.timer = None
        stats = await shared_stats.get(since=self.changed_at)
        self.sent_at = time.monotonic()
        if stats != self.last_stats:
            self.last_stats = stats
            await self.send_json({"type": "queue_stats", "data": stats})


class SharedStats:
    """One count per process for all the dashboards open on it: a count is reused by every
    consumer whose latest news of a change is older than the count."""

    def __init__(self) -> None:
        self.value: dict[str, Any] | None = None
        self.at = float("-inf")
        self.lock: asyncio.Lock | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    async def get(self, *, since: float) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        if self.lock is None or self.loop is not loop:  # a lock belongs to one event loop
            self.lock, self.loop = asyncio.Lock(), loop
        async with self.lock:
            if self.value is None or self.at < since:
                began = time.monotonic()
                self.value = await database_sync_to_async(queue_stats)()
                self.at = began
            return self.value


shared_stats = SharedStats()


def _job_id(raw: Any) -> str | None:
    try:
        return str(uuid.UUID(str(raw)))
    except ValueError:
        return None


def _may_see(user: Any, job: QueueJob) -> bool:
    return roles.can_see_all(user) or (
        job.created_by_id is not None and job.created_by_id == user.pk
    )


@database_sync_to_async
def _job(job_id: str) -> QueueJob | None:
    return QueueJob.objects.filter(pk=job_id).first()


@database_sync_to_async
def _snapshot(job_id: str) -> list[Message]:
    job = QueueJob.objects.filter(pk=job_id).first()
    return job_messages(job) if job is not None else []
