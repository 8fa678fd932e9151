"""The two primitives every service builds on: a compare-and-set status change, and an event."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from jobs.models import JobEvent, QueueJob

logger = logging.getLogger("jobs")
Actor = AbstractBaseUser | AnonymousUser | None


def job_transition(job_id: UUID | str, *, expected: Iterable[str], to: str, **fields: Any) -> bool:
    """UPDATE the row to status `to` only if its status is one of `expected`.

    Exactly one of several racing callers (worker, cancel, maintenance) wins; the others get False.
    """
    updated = QueueJob.objects.filter(pk=job_id, status__in=list(expected)).update(
        status=to, updated_at=timezone.now(), **fields
    )
    return updated == 1


def event_record(
    job_id: UUID | str,
    kind: str,
    *,
    message: str = "",
    status: str = "",
    attempt: int = 0,
    actor: Actor = None,
    worker_name: str = "",
    details: dict[str, Any] | None = None,
) -> None:
    JobEvent.objects.create(
        job_id=job_id,
        at=timezone.now(),
        kind=kind,
        status=status,
        attempt=attempt,
        message=message,
        actor=actor if isinstance(actor, User) else None,
        worker_name=worker_name,
        details=details or {},
    )


def signal_after_commit(signal: Signal, job: QueueJob) -> None:
    """Send a lifecycle signal once the change is committed; a failing listener is only logged."""

    def send() -> None:
        for receiver, result in signal.send_robust(sender=QueueJob, job=job):
            if isinstance(result, Exception):
                logger.warning("signal receiver %r failed: %s", receiver, result)

    transaction.on_commit(send)
