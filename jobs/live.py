"""Live job messages: what a WebSocket subscriber sees, and how any process publishes them.

Messages are full snapshots of a job, never deltas, so a dropped one costs nothing and a client
that re-subscribes is current again. Each process has one Publisher: a daemon thread with an
event loop and a channel layer of its own, so everything the process publishes goes over one
long-lived Redis connection pool, and the thread running a job only hands a message over: it never
waits on Redis and never fails because of it. Per job, at most one batch of messages goes out every
PUBLISH_INTERVAL (the latest snapshot wins); a terminal state goes out at once.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from jobs import signals
from jobs.lifecycle import FINISHED
from jobs.models import QueueJob
from jobs.snapshots import job_snapshot
from queueproject.times import iso_ms

logger = logging.getLogger("jobs.live")

DASHBOARD_GROUP = "dashboard"
CHANNEL_TYPE = "live.messages"  # the channel-layer type; consumers handle it as live_messages
PUBLISH_INTERVAL = 0.25  # about 4 messages a second per job
DASHBOARD_INTERVAL = 0.5  # queue counts change at most twice a second
SEND_TIMEOUT = 2.0

Message = dict[str, Any]
MessageBuilder = Callable[[QueueJob], list[Message]]
_builders: dict[str, MessageBuilder] = {}


def job_group(job_id: UUID | str) -> str:
    """The channel-layer group of a job's subscribers."""
    return f"job.{job_id}"


def live_messages(job_type: str) -> Callable[[MessageBuilder], MessageBuilder]:
    """Register the messages of one job type beyond `job_status` (the bulk_upload_* ones): the
    builder gets the job and returns the messages that describe its current state."""

    def register(builder: MessageBuilder) -> MessageBuilder:
        _builders[job_type] = builder
        return builder

    return register


def job_status_message(job: QueueJob) -> Message:
    """The snapshot every job type has."""
    return {
        "type": "job_status",
        "job_id": str(job.pk),
        "job_type": job.type,
        "queue": job.queue,
        "priority": job.priority,
        **job_snapshot(job),
    }


def job_messages(job: QueueJob, *, progress_only: bool = False) -> list[Message]:
    """The messages describing the job now. A progress update of a job type with messages of its
    own is only those (its status did not change); anything else leads with `job_status`."""
    builder = _builders.get(job.type)
    extra = builder(job) if builder else []
    messages = extra if progress_only and builder else [job_status_message(job), *extra]
    # The row's last change, on every message: a receiver drops one older than what it has, as a
    # late progress snapshot from a work horse can arrive after the web process's cancel.
    updated_at = iso_ms(job.updated_at)
    return [{**message, "updated_at": updated_at} for message in messages]


@dataclass
class _Stream:
    """What one group is owed: the latest message of each type, and when it was last sent to."""

    pending: dict[str, Message] = field(default_factory=dict)
    sent_at: float = float("-inf")
    timer: asyncio.TimerHandle | None = None


class Publisher:
    """Hands messages to the channel layer from any thread without ever blocking it.

    What is due to be sent is kept per group, the latest snapshot of each type only, so while
    Redis is slow or away the backlog is one batch per job that changed, not every message."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._start_lock = threading.Lock()
        self._start_failed_at = float("-inf")
        self._streams: dict[str, _Stream] = {}
        self._due: dict[str, dict[str, Message]] = {}  # group -> messages by type, in order
        self._wake: asyncio.Event | None = None
        self._idle: asyncio.Event | None = None
        self._layer: Any = None
        self._sending: asyncio.Task[None] | None = None
        self._complained_at = float("-inf")

    def publish(
        self,
        group: str,
        *,
        messages: list[Message],
        final: bool = False,
        interval: float = PUBLISH_INTERVAL,
    ) -> None:
        """Queue messages for a group; `final` sends at once and drops what it supersedes."""
        if not messages:
            return
        try:
            loop = self._running_loop()
            loop.call_soon_threadsafe(self._offer, group, messages, final, interval)
        except Exception as exc:  # publishing is best effort: never fail the caller
            self._complain("publish", exc)

    def drain(self, timeout: float = 1.0) -> bool:
        """Hand everything owed to Redis now and wait (at most `timeout`) until nothing is left
        to send; False if time ran out. A work horse calls this before it exits, or its last
        messages would die with it."""
        if self._loop is None:
            return True
        future = asyncio.run_coroutine_threadsafe(self._drained(), self._loop)
        try:
            future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            return False
        return True

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            with self._start_lock:
                if self._loop is None and time.monotonic() - self._start_failed_at > 60:
                    self._ready.clear()
                    thread = threading.Thread(target=self._run, name="live-publisher", daemon=True)
                    thread.start()
                    if not self._ready.wait(5) or self._loop is None:
                        self._start_failed_at = time.monotonic()  # don't retry on every call
        if self._loop is None:
            raise RuntimeError("the publisher could not start (retried after a minute)")
        return self._loop

    def _run(self) -> None:
        from channels.layers import DEFAULT_CHANNEL_LAYER, channel_layers

        try:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            # A layer of its own: its connection pool belongs to this loop and lives as long.
            self._layer = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)
            self._wake, self._idle = asyncio.Event(), asyncio.Event()
            self._idle.set()
            self._sending = loop.create_task(self._sender())
        except Exception as exc:
            self._complain("start", exc)
            self._ready.set()
            return
        self._loop = loop
        self._ready.set()
        loop.run_forever()

    def _offer(self, group: str, messages: list[Message], final: bool, interval: float) -> None:
        stream = self._streams.setdefault(group, _Stream())
        if final:
            stream.pending.clear()  # a terminal snapshot supersedes any progress still owed
            self._due.pop(group, None)
        stream.pending.update((message["type"], message) for message in messages)
        wait = stream.sent_at + interval - time.monotonic()
        if final or wait <= 0:
            self._flush(group)
        elif stream.timer is None:
            assert self._loop is not None
            stream.timer = self._loop.call_later(wait, self._flush, group)

    def _flush(self, group: str) -> None:
        stream = self._streams.get(group)
        if stream is None:
            return
        if stream.timer is not None:
            stream.timer.cancel()
            stream.timer = None
        if stream.pending:
            self._due.setdefault(group, {}).update(stream.pending)
            stream.pending.clear()
            stream.sent_at = time.monotonic()
            assert self._wake is not None
            assert self._idle is not None
            self._idle.clear()
            self._wake.set()

    async def _sender(self) -> None:
        """One sender, taking groups in the order they fell due."""
        assert self._wake is not None
        assert self._idle is not None
        while True:
            if not self._due:
                self._idle.set()
                self._wake.clear()
                await self._wake.wait()
                continue
            group = next(iter(self._due))
            messages = list(self._due.pop(group).values())
            try:
                event = {"type": CHANNEL_TYPE, "messages": messages}
                await asyncio.wait_for(self._layer.group_send(group, event), SEND_TIMEOUT)
            except Exception as exc:
                self._complain(f"send to {group}", exc)
            if len(self._streams) > 1000:  # forget jobs long quiet, or streams grow forever
                self._forget_idle()

    async def _drained(self) -> None:
        for group in list(self._streams):
            self._flush(group)
        assert self._idle is not None
        await self._idle.wait()

    def _forget_idle(self) -> None:
        now = time.monotonic()
        for group, stream in list(self._streams.items()):
            if not stream.pending and stream.timer is None and now - stream.sent_at > 60:
                del self._streams[group]

    def _complain(self, what: str, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._complained_at > 10:  # one line per 10 s while Redis is away, not per message
            self._complained_at = now
            logger.warning("live messages: %s failed (%s: %s)", what, type(exc).__name__, exc)


_publisher: Publisher | None = None
_left_behind: list[Publisher] = []


def publisher() -> Publisher:
    """This process's publisher, started on first use."""
    global _publisher
    if _publisher is None:
        _publisher = Publisher()
    return _publisher


def _after_fork_in_child() -> None:
    """A forked child (a work horse) has the parent's publisher without its thread: it starts
    its own. The parent's is kept referenced, so that its sockets are never closed from here."""
    global _publisher
    if _publisher is not None:
        _left_behind.append(_publisher)
    _publisher = None


os.register_at_fork(after_in_child=_after_fork_in_child)


def publisher_drain(timeout: float = 1.0) -> bool:
    return _publisher.drain(timeout) if _publisher is not None else True


def job_publish(job: QueueJob, *, progress_only: bool = False) -> None:
    """Publish the job's state to its subscribers, and tell dashboards that counts changed."""
    final = job.status in FINISHED
    messages = job_messages(job, progress_only=progress_only)
    publisher().publish(job_group(job.pk), messages=messages, final=final)
    if not progress_only:
        dashboard_nudge()


def dashboard_nudge() -> None:
    """Tell the dashboards that queue counts may have changed (they recount, twice a second at
    most)."""
    messages = [{"type": "queue_changed"}]
    publisher().publish(DASHBOARD_GROUP, messages=messages, interval=DASHBOARD_INTERVAL)


def _on_progress(sender: Any, *, job: QueueJob, **kwargs: Any) -> None:
    job_publish(job, progress_only=True)


def _on_change(sender: Any, *, job: QueueJob, **kwargs: Any) -> None:
    job_publish(job)


def _on_change_reread(sender: Any, *, job: QueueJob, **kwargs: Any) -> None:
    # The sender's object was loaded before the work horse wrote its progress: publish the row.
    current = QueueJob.objects.filter(pk=job.pk).first()
    if current is not None:
        job_publish(current)


def connect() -> None:
    """Publish every lifecycle signal (called once, from the app's ready())."""
    signals.job_progress.connect(_on_progress, dispatch_uid="jobs.live.progress")
    signals.job_submitted.connect(_on_change, dispatch_uid="jobs.live.submitted")
    signals.job_started.connect(_on_change, dispatch_uid="jobs.live.started")
    # job_complete (the lifecycle) sends job_completed with the row its UPDATE returned.
    signals.job_completed.connect(_on_change, dispatch_uid="jobs.live.completed")
    signals.job_failed.connect(_on_change_reread, dispatch_uid="jobs.live.failed")
    # job_cancel re-reads the row after cancelling it; a horse writes no progress past a cancel.
    signals.job_cancelled.connect(_on_change, dispatch_uid="jobs.live.cancelled")
    signals.job_requeued.connect(_on_change_reread, dispatch_uid="jobs.live.requeued")
