"""Idempotency keys: a client that retries a submission with the same Idempotency-Key gets the
first answer again instead of a second job.

A key belongs to one user and lives IDEMPOTENCY_TTL (24 h). The caller claims it, does the work
and stores the answer in one transaction: a request that failed leaves no key behind, so the
client may send it again after fixing what was wrong."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from jobs.errors import JobError
from jobs.models import IdempotencyKey

IDEMPOTENCY_TTL = dt.timedelta(hours=24)


class IdempotencyConflict(JobError):
    """The key was used for another request, or its first request is still running (HTTP 409)."""

    status_code = 409
    code = "idempotency_conflict"


@dataclass(frozen=True)
class Replay:
    """The stored answer of the request that first used the key."""

    status_code: int
    response: Any


def idempotency_claim(*, user: Any, key: str, fingerprint: str) -> IdempotencyKey | Replay:
    """Claim `key` for a new request (the row to store its answer in), or, if this user already
    used it within the TTL for the same request, that request's answer."""
    IdempotencyKey.objects.filter(
        user=user, key=key, created_at__lt=timezone.now() - IDEMPOTENCY_TTL
    ).delete()
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(user=user, key=key, fingerprint=fingerprint)
    except IntegrityError:
        earlier = IdempotencyKey.objects.filter(user=user, key=key).first()
    if earlier is None or earlier.status_code is None:
        raise IdempotencyConflict(
            "a request with this Idempotency-Key is still being processed: retry in a moment"
        )
    if earlier.fingerprint != fingerprint:
        raise IdempotencyConflict(
            "this Idempotency-Key was already used for a different request: use a new key"
        )
    return Replay(earlier.status_code, earlier.response)


def idempotency_store(*, record: IdempotencyKey, status_code: int, response: Any) -> None:
    record.status_code, record.response = status_code, response
    record.save(update_fields=["status_code", "response"])


def idempotency_purge(*, now: dt.datetime) -> int:
    """Delete keys past their TTL (maintenance's retention)."""
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=now - IDEMPOTENCY_TTL).delete()
    return deleted
