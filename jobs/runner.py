"""The RQ entry point: take an id, claim the row, run the registered handler, record the outcome.

Runs in the work horse. Every status change is a compare-and-set on the expected status and the
attempt number, so an attempt that lost its job (cancelled, stalled and re-queued) cannot write
over the attempt that replaced it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import random
import time
import traceback
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from rq.timeouts import JobTimeoutException

from jobs import signals
from jobs.context import JobContext
from jobs.errors import JobCancelled
from jobs.models import EventKind, JobStatus, QueueJob, QueueState, QueueWorker
from jobs.registry import PermanentError, UnknownJobType, get_job_type
from jobs.services.common import event_record, job_transition
from jobs.services.dispatch import jobs_dispatch

logger = logging.getLogger("jobs.runner")

WORKER_PK_ENV = "QUEUEPROJECT_WORKER_PK"


def execute(job_id: str) -> None:
    """RQ calls this with the job's id. It never raises: the outcome is recorded on the row."""
    job = _claim(job_id)
    if job is None:
        return
    ctx = JobContext(job, worker_name=os.environ.get("RQ_WORKER_ID", ""))
    began = time.monotonic()
    completed = False
    try:
        result = get_job_type(job.type).handler(ctx)
        ctx.flush()
        completed = _complete(job, _json_result(result), seconds=time.monotonic() - began)
    except JobCancelled:
        logger.info("job %s stopped at a cancellation check", job.pk)
    except (PermanentError, UnknownJobType) as exc:
        record_attempt_failure(job, str(exc), trace=traceback.format_exc(), permanent=True)
    except JobTimeoutException:
        message = f"timed out after {job.timeout_seconds} s"
        record_attempt_failure(job, message, trace=traceback.format_exc())
    except Exception as exc:  # a handler's bug or a transient error: retry per policy
        message = f"{type(exc).__name__}: {exc}"
        record_attempt_failure(job, message, trace=traceback.format_exc())
    finally:
        _count_outcome(completed=completed, seconds=time.monotonic() - began)


def _claim(job_id: str) -> QueueJob | None:
    """waiting -> active, unless the queue is paused or another party already moved the job."""
    now = timezone.now()
    paused = QueueState.objects.filter(queue=OuterRef("queue"), paused=True)
    worker_pk = os.environ.get(WORKER_PK_ENV)
    claimed = (
        QueueJob.objects.filter(pk=job_id, status=JobStatus.WAITING)
        .filter(~Exists(paused))
        .update(
            status=JobStatus.ACTIVE,
            started_at=now,
            completed_at=None,
            attempts=F("attempts") + 1,
            worker_id=int(worker_pk) if worker_pk else None,
            updated_at=now,
        )
    )
    if not claimed:
        _explain_skip(job_id)
        return None
    job = QueueJob.objects.get(pk=job_id)
    event_record(
        job.pk,
        EventKind.STARTED,
        status=JobStatus.ACTIVE,
        attempt=job.attempts,
        worker_name=os.environ.get("RQ_WORKER_ID", ""),
    )
    signals.job_started.send_robust(sender=QueueJob, job=job)
    return job


def _explain_skip(job_id: str) -> None:
    status = QueueJob.objects.filter(pk=job_id).values_list("status", flat=True).first()
    if status is None:
        logger.info("job %s no longer exists: skipped", job_id)
    elif status == JobStatus.WAITING:  # its queue was paused after dispatch
        if job_transition(job_id, expected=[JobStatus.WAITING], to=JobStatus.PENDING):
            event_record(
                job_id,
                EventKind.HANDED_BACK,
                status=JobStatus.PENDING,
                message="queue paused: back to pending",
            )
    else:
        logger.info(
            "job %s is %s, not waiting: skipped (a cancel or another worker won)", job_id, status
        )


def _json_result(result: Any) -> Any:
    try:
        return json.loads(json.dumps(result, cls=DjangoJSONEncoder))
    except (TypeError, ValueError) as exc:
        raise PermanentError(f"the handler's result is not JSON-serialisable: {exc}") from None


def _complete(job: QueueJob, result: Any, *, seconds: float) -> bool:
    now = timezone.now()
    done = QueueJob.objects.filter(
        pk=job.pk, status=JobStatus.ACTIVE, attempts=job.attempts
    ).update(
        status=JobStatus.COMPLETED,
        result=result,
        completed_at=now,
        progress_percent=100,
        error_message="",
        traceback="",
        updated_at=now,
    )
    if not done:
        logger.info("job %s finished but is no longer this attempt's: result discarded", job.pk)
        return False
    job.refresh_from_db()
    event_record(
        job.pk,
        EventKind.COMPLETED,
        status=JobStatus.COMPLETED,
        attempt=job.attempts,
        message=f"completed in {seconds * 1000:.0f} ms",
    )
    signals.job_completed.send_robust(sender=QueueJob, job=job)
    return True


def backoff_delay(*, base: float, cap: float, attempt: int) -> float:
    """Exponential backoff with "equal jitter": between half and all of base * 2^(attempt-1)."""
    ceiling = min(cap, base * 2 ** max(0, attempt - 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)  # jitter, not security


def record_attempt_failure(
    job: QueueJob, message: str, *, trace: str = "", permanent: bool = False
) -> str | None:
    """Fail this attempt: schedule a retry with backoff, or fail the job when attempts are spent
    or the error is permanent. Returns the new status, or None if the attempt had lost the job."""
    now = timezone.now()
    retry = not permanent and job.attempts < job.max_attempts
    this_attempt = QueueJob.objects.filter(
        pk=job.pk, status=JobStatus.ACTIVE, attempts=job.attempts
    )
    details: dict[str, Any] = {}
    if retry:
        delay = backoff_delay(
            base=job.backoff_base_seconds, cap=job.backoff_max_seconds, attempt=job.attempts
        )
        details["retry_in_seconds"] = round(delay, 3)
        fields: dict[str, Any] = {
            "status": JobStatus.SCHEDULED,
            "scheduled_at": now + dt.timedelta(seconds=delay),
        }
    else:
        fields = {"status": JobStatus.FAILED, "completed_at": now}
    if not this_attempt.update(
        error_message=message[:5000], traceback=trace[-20000:], updated_at=now, **fields
    ):
        logger.info("job %s failed but is no longer this attempt's: %s", job.pk, message)
        return None
    event_record(
        job.pk,
        EventKind.FAILED,
        status=fields["status"],
        attempt=job.attempts,
        message=message,
        details={**details, "permanent": permanent},
    )
    if retry:
        event_record(
            job.pk,
            EventKind.RETRY_SCHEDULED,
            status=JobStatus.SCHEDULED,
            attempt=job.attempts,
            details=details,
            message=f"retry in {details['retry_in_seconds']:.1f} s",
        )
    logger.warning(
        "job %s attempt %d/%d failed%s: %s",
        job.pk,
        job.attempts,
        job.max_attempts,
        " (permanent)" if permanent else "",
        message,
    )
    job.refresh_from_db()
    signals.job_failed.send_robust(sender=QueueJob, job=job)
    return str(fields["status"])


def hand_back(job: QueueJob, reason: str) -> bool:
    """Return an interrupted attempt to the queue without counting it (warm shutdown)."""
    moved = QueueJob.objects.filter(
        pk=job.pk, status=JobStatus.ACTIVE, attempts=job.attempts
    ).update(
        status=JobStatus.PENDING, attempts=F("attempts") - 1, worker=None, updated_at=timezone.now()
    )
    if moved:
        event_record(
            job.pk,
            EventKind.HANDED_BACK,
            status=JobStatus.PENDING,
            attempt=job.attempts,
            message=reason,
        )
        jobs_dispatch(ids=[job.pk])
    return bool(moved)


def _count_outcome(*, completed: bool, seconds: float) -> None:
    worker_pk = os.environ.get(WORKER_PK_ENV)
    if not worker_pk:
        return
    counter = "jobs_completed" if completed else "jobs_failed"
    QueueWorker.objects.filter(pk=int(worker_pk)).update(
        **{counter: F(counter) + 1}, busy_seconds=F("busy_seconds") + seconds
    )
