"""The job's stored history (JobEvent) and the lifecycle signals: what every status change leaves
behind. Neither changes a status."""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db import connections, router, transaction
from django.dispatch import Signal
from django.utils import timezone

from jobs.lifecycle.table import TRANSITIONS
from jobs.models import JobEvent, QueueJob
from jobs.text import sanitise

logger = logging.getLogger("jobs")
Actor = AbstractBaseUser | AnonymousUser | None
_EVENT_FIELDS = [f for f in JobEvent._meta.concrete_fields if not f.primary_key]


def event_record(
    job_id: UUID | str,
    kind: str,
    *,
    message: str = "",
    status: str = "",
    level: str = "",
    attempt: int = 0,
    actor: Actor = None,
    worker_name: str = "",
    details: dict[str, Any] | None = None,
) -> None:
    """Add a line to the job's event log. Every claim and completion writes one: a plain INSERT
    spares the worker the ORM's query compilation on each call. The message may come from a
    handler (an error, a log line): NUL and lone surrogates are stored as escapes."""
    event = JobEvent(
        job_id=job_id,
        at=timezone.now(),
        kind=kind,
        status=status,
        attempt=attempt,
        message=sanitise(message),
        level=level,
        actor=actor if isinstance(actor, User) else None,
        worker_name=worker_name,
        details=details or {},
    )
    connection = connections[router.db_for_write(JobEvent)]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in _EVENT_FIELDS)
    placeholders = ", ".join(["%s"] * len(_EVENT_FIELDS))
    params = [f.get_db_prep_save(f.pre_save(event, True), connection) for f in _EVENT_FIELDS]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {JobEvent._meta.db_table} ({columns}) VALUES ({placeholders})", params
        )


def move_record(action: str, job_id: UUID | str, *, kind: str = "", **fields: Any) -> None:
    """Record in the job's history the event `action` leaves (or `kind`), with the status the
    table says it moved the job to: the history never names a status the move did not make."""
    move = TRANSITIONS[action]
    event_record(job_id, kind or move.event, status=move.target or "", **fields)


def signal_after_commit(signal: Signal, job: QueueJob, **details: Any) -> None:
    """Send a lifecycle signal once the change is committed; a failing listener is only logged."""

    def send() -> None:
        for receiver, result in signal.send_robust(sender=QueueJob, job=job, **details):
            if isinstance(result, Exception):
                logger.warning("signal receiver %r failed: %s", receiver, result)

    transaction.on_commit(send)
