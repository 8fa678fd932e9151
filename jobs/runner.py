"""The RQ entry point: take an id, claim the row, run the registered handler, record the outcome.

With this engine's worker (jobs.worker.LedgerWorker) the bookkeeping happens in the worker
process on its long-lived database connection: it claims the row before forking, the work horse
only runs the handler and hands back an Outcome through Redis, and the worker records it. With any
other RQ worker, `execute` does all of it in the horse.

Every status change is a compare-and-set on the expected status and the attempt number, so an
attempt that lost its job (cancelled, stalled and re-queued) cannot write over the one that
replaced it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import random
import time
import traceback
import uuid
from dataclasses import asdict, dataclass
from typing import Any

import redis
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, router, transaction
from django.db.models import F
from django.db.models.sql import Query
from django.utils import timezone
from rq.job import get_current_job
from rq.timeouts import JobTimeoutException

from jobs import signals
from jobs.context import JobContext
from jobs.errors import JobCancelled
from jobs.events import publisher_drain
from jobs.models import EventKind, JobStatus, QueueJob, QueueWorker
from jobs.registry import PermanentError, UnknownJobType, get_job_type
from jobs.services.common import event_record, job_transition
from jobs.services.dispatch import jobs_dispatch
from jobs.text import sanitise, text_problem
from queueproject.redis_client import get_redis

logger = logging.getLogger("jobs.runner")

WORKER_PK_ENV = "QUEUEPROJECT_WORKER_PK"
OUTCOME_KEY = "qp:outcome:{}"  # per run: an outcome can only be recorded by its own run
OUTCOME_TTL = 3600

# Set by the worker process just before it forks a horse for a job it has already claimed.
claimed_by_worker: QueueJob | None = None


@dataclass
class Outcome:
    status: str  # completed | failed | cancelled
    result: Any = None
    message: str = ""
    trace: str = ""
    permanent: bool = False
    seconds: float = 0.0


def execute(job_id: str) -> None:
    """RQ calls this with the job's id. It never raises: the outcome is recorded on the row."""
    job = claimed_by_worker if claimed_by_worker and str(claimed_by_worker.pk) == job_id else None
    try:
        if job is not None:  # the worker claimed it and records the outcome: hand it over
            outcome_publish(job, run_handler(job))
            return
        job = claim(job_id)
        if job is not None:
            outcome = run_handler(job)
            outcome_record(job, outcome)
            worker_count(outcome)
    finally:
        publisher_drain()  # a work horse exits without cleanup: send its last progress first


def run_handler(job: QueueJob) -> Outcome:
    ctx = JobContext(job, worker_name=os.environ.get("RQ_WORKER_ID", ""))
    began = time.monotonic()
    try:
        result = _json_result(get_job_type(job.type).handler(ctx))
        ctx.flush()
        return Outcome("completed", result=result, seconds=time.monotonic() - began)
    except JobCancelled:
        return Outcome("cancelled", seconds=time.monotonic() - began)
    except (PermanentError, UnknownJobType) as exc:
        return _failed(str(exc), began, permanent=True)
    except JobTimeoutException:
        return _failed(f"timed out after {job.timeout_seconds} s", began)
    except Exception as exc:  # a handler's bug or a transient error: retry per policy
        return _failed(f"{type(exc).__name__}: {exc}", began)


def _failed(message: str, began: float, *, permanent: bool = False) -> Outcome:
    return Outcome(
        "failed",
        message=sanitise(message),
        trace=sanitise(traceback.format_exc()),
        permanent=permanent,
        seconds=time.monotonic() - began,
    )


def outcome_publish(job: QueueJob, outcome: Outcome) -> None:
    """Hand the outcome to the worker through Redis; if Redis cannot take it, record it here
    (the worker, finding none, then changes nothing: the attempt is no longer active)."""
    payload = json.dumps(asdict(outcome), cls=DjangoJSONEncoder)
    rq_job = get_current_job()  # its connection is already open in this horse: reuse it
    connection = rq_job.connection if rq_job is not None else get_redis()
    try:
        connection.set(OUTCOME_KEY.format(job.run_id), payload, ex=OUTCOME_TTL)
    except redis.RedisError as exc:
        logger.warning("job %s: Redis unreachable, outcome recorded by the horse: %s", job.pk, exc)
        outcome_record(job, outcome)


def outcome_take(job: QueueJob) -> Outcome | None:
    """The outcome a horse handed back (None if it died first). Read once."""
    key = OUTCOME_KEY.format(job.run_id)
    try:
        with get_redis().pipeline() as pipe:
            pipe.get(key)
            pipe.delete(key)
            payload, _ = pipe.execute()
    except redis.RedisError as exc:
        logger.warning("could not read the outcome of job %s: %s", job.pk, exc)
        return None
    return Outcome(**json.loads(payload)) if payload else None


def outcome_record(job: QueueJob, outcome: Outcome) -> None:
    if outcome.status == "completed":
        _complete(job, outcome.result, seconds=outcome.seconds)
    elif outcome.status == "failed":
        record_attempt_failure(
            job, outcome.message, trace=outcome.trace, permanent=outcome.permanent
        )
    else:
        logger.info("job %s stopped at a cancellation check", job.pk)


def claim(job_id: str, *, worker_pk: int | None = None, worker_name: str = "") -> QueueJob | None:
    """waiting -> active, unless the queue is paused or another party already moved the job."""
    now = timezone.now()
    if worker_pk is None and os.environ.get(WORKER_PK_ENV):
        worker_pk = int(os.environ[WORKER_PK_ENV])
    with transaction.atomic():
        job = _job_update(
            _CLAIM,
            run_id=uuid.uuid4(),
            status=JobStatus.ACTIVE.value,
            started_at=now,
            worker=worker_pk,
            updated_at=now,
            id=job_id,
            expected=JobStatus.WAITING.value,
        )
        if job is not None:
            event_record(
                job.pk,
                EventKind.STARTED,
                status=JobStatus.ACTIVE,
                attempt=job.attempts,
                worker_name=worker_name or os.environ.get("RQ_WORKER_ID", ""),
            )
    if job is None:
        _explain_skip(job_id)
        return None
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
        stored = json.loads(json.dumps(result, cls=DjangoJSONEncoder))
    except (TypeError, ValueError, RecursionError) as exc:
        raise PermanentError(f"the handler's result is not JSON-serialisable: {exc}") from None
    problem = text_problem(stored, "result")
    if problem:
        raise PermanentError(f"the handler's result cannot be stored: {problem}")
    return stored


def _complete(job: QueueJob, result: Any, *, seconds: float) -> bool:
    now = timezone.now()
    with transaction.atomic():
        row = _job_update(
            _COMPLETE,
            status=JobStatus.COMPLETED.value,
            result=result,
            completed_at=now,
            updated_at=now,
            id=job.pk,
            expected=JobStatus.ACTIVE.value,
            run_id=job.run_id,
        )
        if row is not None:
            event_record(
                job.pk,
                EventKind.COMPLETED,
                status=JobStatus.COMPLETED,
                attempt=job.attempts,
                message=f"completed in {seconds * 1000:.0f} ms",
            )
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


def backoff_delay(*, base: float, cap: float, attempt: int) -> float:
    """Exponential backoff with "equal jitter": between half and all of base * 2^(attempt-1)."""
    ceiling = min(cap, base * 2 ** max(0, attempt - 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)  # jitter, not security


def record_attempt_failure(
    job: QueueJob, message: str, *, trace: str = "", permanent: bool = False
) -> str | None:
    """Fail this attempt: schedule a retry with backoff, or fail the job when attempts are spent
    or the error is permanent. Returns the new status, or None if the attempt had lost the job.
    Whatever text the error carries is stored: NUL and lone surrogates are shown as escapes."""
    message, trace = sanitise(message), sanitise(trace)
    now = timezone.now()
    retry = not permanent and job.attempts < job.max_attempts
    this_attempt = QueueJob.objects.filter(pk=job.pk, status=JobStatus.ACTIVE, run_id=job.run_id)
    details: dict[str, Any] = {"permanent": permanent}
    fields: dict[str, Any] = {"status": JobStatus.FAILED, "completed_at": now}
    if retry:
        delay = backoff_delay(
            base=job.backoff_base_seconds, cap=job.backoff_max_seconds, attempt=job.attempts
        )
        details["retry_in_seconds"] = round(delay, 3)
        fields = {"status": JobStatus.SCHEDULED, "scheduled_at": now + dt.timedelta(seconds=delay)}
    with transaction.atomic():
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
            details=details,
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
    return str(fields["status"])


def _next_step(details: dict[str, Any], *, permanent: bool) -> str:
    if "retry_in_seconds" in details:
        return f"retry in {details['retry_in_seconds']:.1f} s"
    return "job failed, no retry (permanent error)" if permanent else "job failed, no attempts left"


def hand_back(
    job: QueueJob, reason: str, *, kind: str = EventKind.HANDED_BACK, **fields: Any
) -> bool:
    """Return an interrupted attempt to the queue without counting it against max_attempts
    (warm shutdown, a dead worker). Returns False if the attempt had already lost the job."""
    moved = QueueJob.objects.filter(pk=job.pk, status=JobStatus.ACTIVE, run_id=job.run_id).update(
        status=JobStatus.PENDING,
        attempts=F("attempts") - 1,
        worker=None,
        updated_at=timezone.now(),
        **fields,
    )
    if moved:
        event_record(job.pk, kind, status=JobStatus.PENDING, attempt=job.attempts, message=reason)
        jobs_dispatch(ids=[job.pk])
        signals.job_requeued.send_robust(sender=QueueJob, job=job)
    return bool(moved)


def worker_count(outcome: Outcome, *, worker_pk: int | None = None) -> None:
    """Add a finished attempt to its worker's counters."""
    if worker_pk is None and os.environ.get(WORKER_PK_ENV):
        worker_pk = int(os.environ[WORKER_PK_ENV])
    if worker_pk is None:
        return
    counter = "jobs_completed" if outcome.status == "completed" else "jobs_failed"
    QueueWorker.objects.filter(pk=worker_pk).update(
        **{counter: F(counter) + 1}, busy_seconds=F("busy_seconds") + outcome.seconds
    )


# -- the worker's two statements per job, in SQL ------------------------------------------------
# Every job is claimed and completed: building these through the ORM, and reading the row back,
# cost the worker process more than the statements themselves. Each UPDATE returns the whole row
# (RETURNING: PostgreSQL, SQLite >= 3.35), so no SELECT follows. The same text runs on both
# backends; values go through each field's get_db_prep_save and results through the ORM's
# converters, as a QuerySet would.

_JOB_FIELDS = QueueJob._meta.concrete_fields
_JOB_FIELD = {f.name: f for f in _JOB_FIELDS}
_ALIASES = {"expected": "status"}  # a value that the WHERE compares with a column

# waiting -> active, the compare-and-set refused while the job's queue is paused
_CLAIM = (
    "UPDATE queue_jobs SET run_id = %(run_id)s, status = %(status)s, started_at = %(started_at)s,"
    " completed_at = NULL, attempts = attempts + 1, worker_id = %(worker)s,"
    " updated_at = %(updated_at)s"
    " WHERE id = %(id)s AND status = %(expected)s AND NOT EXISTS (SELECT 1 FROM queue_states"
    " WHERE queue_states.queue = queue_jobs.queue AND queue_states.paused)"
)
# active -> completed, only by the attempt (run) that holds the job
_COMPLETE = (
    "UPDATE queue_jobs SET status = %(status)s, result = %(result)s,"
    " completed_at = %(completed_at)s, progress_percent = 100, error_message = '', traceback = '',"
    " updated_at = %(updated_at)s"
    " WHERE id = %(id)s AND status = %(expected)s AND run_id = %(run_id)s"
)


def _job_update(sql: str, **values: Any) -> QueueJob | None:
    """Run one of the UPDATEs above; the updated row, or None if the compare-and-set lost."""
    db = router.db_for_write(QueueJob)
    connection = connections[db]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in _JOB_FIELDS)
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} RETURNING {columns}", _job_params(values, connection))
        row = cursor.fetchone()
    if row is None:
        return None
    compiler = connection.ops.compiler("SQLCompiler")(Query(QueueJob), connection, db)
    converters = compiler.get_converters([f.get_col(QueueJob._meta.db_table) for f in _JOB_FIELDS])
    (converted,) = compiler.apply_converters([row], converters)
    return QueueJob.from_db(db, [f.attname for f in _JOB_FIELDS], converted)


def _job_params(values: dict[str, Any], connection: Any) -> dict[str, Any]:
    """Each value as its column's field would store it (UUIDs, datetimes, JSON differ by
    backend); `expected` is a status."""
    return {
        name: _JOB_FIELD[_ALIASES.get(name, name)].get_db_prep_save(value, connection)
        for name, value in values.items()
    }
