"""An attempt's outcome, and how it reaches the ledger.

With this engine's worker (jobs.worker.LedgerWorker) the work horse only runs the handler and
hands the outcome to its worker through Redis (`outcome_publish`); the worker reads it
(`outcome_take`) and records it on its long-lived database connection (`job_outcome_record`).
With any other RQ worker, the horse records it itself.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from typing import Any

import redis
from django.core.serializers.json import DjangoJSONEncoder
from rq.job import get_current_job

from jobs.lifecycle.attempt import job_attempt_fail, job_complete
from jobs.models import QueueJob
from queueproject.redis_client import get_redis

logger = logging.getLogger("jobs.runner")

OUTCOME_KEY = "qp:outcome:{}"  # per run: an outcome can only be recorded by its own run
OUTCOME_TTL = 3600


@dataclass
class Outcome:
    status: str  # completed | failed | cancelled
    result: Any = None
    message: str = ""
    trace: str = ""
    permanent: bool = False
    seconds: float = 0.0


def job_outcome_record(job: QueueJob, *, outcome: Outcome) -> None:
    """Write what the attempt came to: completed, or a failure (retried or final). A handler that
    stopped at a cancellation check leaves the row as the cancel wrote it."""
    if outcome.status == "completed":
        job_complete(job, result=outcome.result, seconds=outcome.seconds)
    elif outcome.status == "failed":
        job_attempt_fail(
            job, message=outcome.message, trace=outcome.trace, permanent=outcome.permanent
        )
    else:
        logger.info("job %s stopped at a cancellation check", job.pk)


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
        job_outcome_record(job, outcome=outcome)


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
