"""WebSocket consumers: /ws/jobs/ (follow jobs live) and /ws/dashboard/ (queue counts).

Every problem with a client's message is answered on the socket with
`{"type": "error", "code", "message"}` and the connection stays open; only a client without
valid credentials is closed (4401 after the error message). Messages to clients are the
snapshots jobs.live builds.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from jobs import roles
from jobs.live import (
    CHANNEL_TYPE,
    DASHBOARD_GROUP,
    DASHBOARD_INTERVAL,
    Message,
    job_group,
    job_messages,
)
from jobs.selectors import job_find, queue_stats

logger = logging.getLogger("jobs.consumers")

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

    actions = "ping"  # what the client may send, for the unknown-action answer

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
        if message["type"] == CHANNEL_TYPE:
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
        except RecursionError:
            await self.send_json(error("invalid_json", "the message is nested too deeply"))
            return
        if not isinstance(content, dict):
            await self.send_json(error("invalid_message", "a message must be a JSON object"))
            return
        await self.receive_json(content)

    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        action = content.get("action") or content.get("type")
        if action == "ping":
            await self.send_json({"type": "pong"})
        else:
            message = f"unknown action {action!r}: use {self.actions}"
            await self.send_json(error("unknown_action", message))


class JobsConsumer(LiveConsumer):
    """Subscribe to jobs by id; get the current state at once, then every change."""

    actions = "subscribe, unsubscribe or ping"
    subscriptions: dict[str, str]  # job id -> the newest `updated_at` sent for it

    async def start(self) -> None:
        self.subscriptions = {}

    async def disconnect(self, code: int) -> None:
        for job_id in getattr(self, "subscriptions", {}):
            await self.channel_layer.group_discard(job_group(job_id), self.channel_name)

    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        action = content.get("action") or content.get("type")
        if action in SUBSCRIBE:
            await self.subscribe(content.get("job_id"))
        elif action in UNSUBSCRIBE:
            await self.unsubscribe(content.get("job_id"))
        else:
            await super().receive_json(content)

    async def subscribe(self, raw_id: Any) -> None:
        job_id = _job_id(raw_id)
        if job_id is None:
            await self.send_json(error("invalid_job_id", "job_id must be a job's UUID"))
            return
        job = await database_sync_to_async(job_find)(job_id)
        # Another user's job is answered as a missing one (as HTTP's 404): an answer of its own
        # would confirm that the id exists.
        if job is None or not roles.can_see_job(self.scope["user"], job):
            await self.send_json(error("not_found", f"no job {job_id}", job_id=job_id))
            return
        if job_id not in self.subscriptions and len(self.subscriptions) >= MAX_SUBSCRIPTIONS:
            message = f"at most {MAX_SUBSCRIPTIONS} subscriptions per connection"
            await self.send_json(error("too_many_subscriptions", message, job_id=job_id))
            return
        # Join first, then read: a change made in between arrives as a message, never lost.
        await self.channel_layer.group_add(job_group(job_id), self.channel_name)
        self.subscriptions[job_id] = ""
        await self.send_json({"type": "subscribed", "job_id": job_id})
        await self.forward(await _snapshot(job_id))

    async def unsubscribe(self, raw_id: Any) -> None:
        job_id = _job_id(raw_id)
        if job_id is None or job_id not in self.subscriptions:
            await self.send_json(error("not_subscribed", f"not subscribed to {raw_id!r}"))
            return
        del self.subscriptions[job_id]
        await self.channel_layer.group_discard(job_group(job_id), self.channel_name)
        await self.send_json({"type": "unsubscribed", "job_id": job_id})

    async def live_messages(self, event: dict[str, Any]) -> None:
        await self.forward(event["messages"])

    async def forward(self, messages: list[Message]) -> None:
        """Send what is news: a snapshot older than one already sent (a work horse's late
        progress after a cancel) would show the client a state the job has left."""
        for message in messages:
            job_id = str(message.get("job_id"))
            seen = self.subscriptions.get(job_id)
            updated_at = message.get("updated_at") or ""
            if seen is None or updated_at < seen:
                continue
            self.subscriptions[job_id] = updated_at
            await self.send_json(message)


class DashboardConsumer(LiveConsumer):
    """Queue counts for staff: at once, then whenever they change, at most twice a second."""

    def allowed(self, user: Any) -> bool:
        return roles.can_see_all(user)

    async def start(self) -> None:
        self.last_stats: dict[str, Any] | None = None
        self.changed_at = time.monotonic()
        self.changed = asyncio.Event()
        self.changed.set()
        await self.channel_layer.group_add(DASHBOARD_GROUP, self.channel_name)
        self.pusher = asyncio.ensure_future(self.push())

    async def disconnect(self, code: int) -> None:
        pusher = getattr(self, "pusher", None)
        if pusher is not None:
            pusher.cancel()
            await self.channel_layer.group_discard(DASHBOARD_GROUP, self.channel_name)

    async def live_messages(self, event: dict[str, Any]) -> None:
        self.changed_at = time.monotonic()
        self.changed.set()

    async def push(self) -> None:
        """Send the counts when told they changed, at most every DASHBOARD_INTERVAL, and recount
        every DASHBOARD_REFRESH anyway (not every change is announced: a cleanup, say)."""
        while True:
            try:
                await asyncio.wait_for(self.changed.wait(), DASHBOARD_REFRESH)
            except TimeoutError:
                self.changed_at = time.monotonic()
            self.changed.clear()
            try:
                stats = await shared_stats.get(since=self.changed_at)
                if stats != self.last_stats:
                    self.last_stats = stats
                    await self.send_json({"type": "queue_stats", "data": stats})
            except Exception:  # a database hiccup: say so, and try again at the next change
                logger.warning("dashboard: counting the queues failed", exc_info=True)
            await asyncio.sleep(DASHBOARD_INTERVAL)


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


@database_sync_to_async
def _snapshot(job_id: str) -> list[Message]:
    job = job_find(job_id)
    return job_messages(job) if job is not None else []
