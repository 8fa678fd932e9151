"""An attempt's status writes: claim, complete, fail (retry later or fail the job), hand back.

Every one is a compare-and-set on the expected status and the attempt's run id, so an attempt
that lost its job (cancelled, stalled and re-queued) cannot write over the one that replaced it.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from jobs import signals
from jobs.lifecycle.history import move_record
from jobs.lifecycle.moves import job_status_of, jobs_withdraw
from jobs.lifecycle.retry import FailureDecision, failure_decide
from jobs.lifecycle.sql import CLAIM, COMPLETE, job_update
from jobs.lifecycle.table import allowed_from, target_of
from jobs.models import EventKind, JobStatus, QueueJob
from jobs.text import sanitise

logger = logging.getLogger("jobs.runner")


def _only_source(action: str) -> str:
    (source,) = allowed_from(action)  # the single-statement SQL compares with one status
    return source


_CLAIM_FROM, _COMPLETE_FROM = _only_source("claim"), _only_source("complete")


def attempt_row(job: QueueJob) -> QuerySet[QueueJob]:
    """The job's row while this attempt holds it: active, with this attempt's run id."""
    return QueueJob.objects.filter(pk=job.pk, status=JobStatus.ACTIVE, run_id=job.run_id)


def job_claim(
    job_id: str, *, worker_pk: int | None = None, worker_name: str = ""
) -> QueueJob | None:
    """waiting -> active, unless the queue is paused or another party already moved the job."""
    now = timezone.now()
    with transaction.atomic():
        job = job_update(
            CLAIM,
            run_id=uuid.uuid4(),
            status=target_of("claim"),
            started_at=now,
            worker=worker_pk,
            updated_at=now,
            id=job_id,
            expected=_CLAIM_FROM,
        )
        if job is not None:
            move_record("claim", job.pk, attempt=job.attempts, worker_name=worker_name)
    if job is None:
        _explain_skip(job_id)
        return None
    signals.job_started.send_robust(sender=QueueJob, job=job)
    return job


def _explain_skip(job_id: str) -> None:
    status = job_status_of(job_id)
    if status is None:
        logger.info("job %s no longer exists: skipped", job_id)
    elif status == JobStatus.WAITING:  # its queue was paused after dispatch
        if jobs_withdraw(QueueJob.objects.filter(pk=job_id), updated_at=timezone.now()):
            move_record("withdraw", job_id, message="queue paused: back to pending")
    else:
        logger.info(
            "job %s is %s, not waiting: skipped (a cancel or another worker won)", job_id, status
        )


def job_complete(job: QueueJob, *, result: Any, seconds: float) -> bool:
    """active -> completed with the handler's result; False if the attempt had lost the job."""
    now = timezone.now()
    with transaction.atomic():
        row = job_update(
            COMPLETE,
            status=target_of("complete"),
            result=result,
            completed_at=now,
            updated_at=now,
            id=job.pk,
            expected=_COMPLETE_FROM,
            run_id=job.run_id,
        )
        if row is not None:
            took = f"completed in {seconds * 1000:.0f} ms"
            move_record("complete", job.pk, attempt=job.attempts, message=took)
    if row is None:
        logger.info("job %s finished but is no longer this attempt's: result discarded", job.pk)
        return False
    logger.info(
        "job %s %s attempt %d/%d completed [%.0f ms]",
        job.pk,
        job.type,
        job.attempts,
        job.max_attempts,
        seconds * 1000,
    )
    # The row as committed, progress written by the work horse included: receivers need not
    # read it again.
    signals.job_completed.send_robust(sender=QueueJob, job=row)
    return True


def job_attempt_fail(
    job: QueueJob, *, message: str, trace: str = "", permanent: bool = False
) -> str | None:
    """Fail this attempt: schedule a retry with backoff, or fail the job when attempts are spent
    or the error is permanent. Returns the new status, or None if the attempt had lost the job.
    Whatever text the error carries is stored: NUL and lone surrogates are shown as escapes."""
    message, trace = sanitise(message), sanitise(trace)
    now = timezone.now()
    decision = failure_decide(
        attempts=job.attempts,
        max_attempts=job.max_attempts,
        backoff_base=job.backoff_base_seconds,
        backoff_max=job.backoff_max_seconds,
        permanent=permanent,
        now=now,
    )
    details = _failure_details(decision, permanent=permanent)
    fields = _failure_fields(decision, now=now)
    with transaction.atomic():
        if not attempt_row(job).update(
            error_message=message[:5000], traceback=trace[-20000:], updated_at=now, **fields
        ):
            logger.info("job %s failed but is no longer this attempt's: %s", job.pk, message)
            return None
        _record_failure(job, decision, message=message, details=details)
    logger.warning(
        "job %s %s attempt %d/%d failed: %s; %s",
        job.pk,
        job.type,
        job.attempts,
        job.max_attempts,
        message,
        _next_step(details, permanent=permanent),
    )
    for name, value in {**fields, "error_message": message}.items():
        setattr(job, name, value)
    signals.job_failed.send_robust(sender=QueueJob, job=job)
    return str(decision.status)


def _failure_details(decision: FailureDecision, *, permanent: bool) -> dict[str, Any]:
    details: dict[str, Any] = {"permanent": permanent}
    if decision.delay is not None:
        details["retry_in_seconds"] = round(decision.delay, 3)
    return details


def _failure_fields(decision: FailureDecision, *, now: Any) -> dict[str, Any]:
    if decision.retry_at is None:
        return {"status": decision.status, "completed_at": now}
    return {"status": decision.status, "scheduled_at": decision.retry_at}


def _record_failure(
    job: QueueJob, decision: FailureDecision, *, message: str, details: dict[str, Any]
) -> None:
    attempt = job.attempts
    move_record(decision.action, job.pk, attempt=attempt, message=message, details=details)
    if decision.retry_at is not None:
        retry_in = _next_step(details, permanent=False)
        kind = EventKind.RETRY_SCHEDULED
        move_record(
            "retry_later", job.pk, kind=kind, attempt=attempt, details=details, message=retry_in
        )


def _next_step(details: dict[str, Any], *, permanent: bool) -> str:
    if "retry_in_seconds" in details:
        return f"retry in {details['retry_in_seconds']:.1f} s"
    return "job failed, no retry (permanent error)" if permanent else "job failed, no attempts left"


def job_hand_back(job: QueueJob, *, reason: str, kind: str = "", **fields: Any) -> bool:
    """Return an interrupted attempt to pending without counting it against max_attempts (warm
    shutdown, a dead worker). Returns False if the attempt had already lost the job.
    `jobs.services.dispatch.job_requeue` hands back and dispatches at once."""
    moved = attempt_row(job).update(
        status=target_of("hand_back"),
        attempts=F("attempts") - 1,
        worker=None,
        updated_at=timezone.now(),
        **fields,
    )
    if moved:
        move_record("hand_back", job.pk, kind=kind, attempt=job.attempts, message=reason)
    return bool(moved)
