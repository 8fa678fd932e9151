"""The RQ entry point: take an id, run the registered handler, hand the outcome to the lifecycle.

With this engine's worker (jobs.worker.LedgerWorker) the worker claims the row before forking and
passes it in (`claimed`): the work horse only runs the handler and hands the outcome back through
Redis, and the worker records it. With any other RQ worker, `execute` claims and records itself.
"""

from __future__ import annotations

import json
import os
import time
import traceback
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from rq.timeouts import JobTimeoutException

from jobs.context import JobContext
from jobs.errors import JobCancelled
from jobs.lifecycle import Outcome, job_claim, job_outcome_record, outcome_publish
from jobs.live import publisher_drain
from jobs.models import QueueJob
from jobs.registry import PermanentError, UnknownJobType, get_job_type
from jobs.text import sanitise, text_problem


def execute(job_id: str, *, claimed: QueueJob | None = None) -> None:
    """RQ calls this with the job's id. It never raises: the outcome is recorded on the row."""
    try:
        if claimed is not None:  # the worker claimed it and records the outcome: hand it over
            outcome_publish(claimed, run_handler(claimed))
            return
        job = job_claim(job_id, worker_name=_worker_name())
        if job is not None:
            job_outcome_record(job, outcome=run_handler(job))
    finally:
        publisher_drain()  # a work horse exits without cleanup: send its last progress first


def _worker_name() -> str:
    return os.environ.get("RQ_WORKER_ID", "")  # RQ's own: set in every work horse it forks


def run_handler(job: QueueJob) -> Outcome:
    ctx = JobContext(job, worker_name=_worker_name())
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


def _json_result(result: Any) -> Any:
    try:
        stored = json.loads(json.dumps(result, cls=DjangoJSONEncoder))
    except (TypeError, ValueError, RecursionError) as exc:
        raise PermanentError(f"the handler's result is not JSON-serialisable: {exc}") from None
    problem = text_problem(stored, "result")
    if problem:
        raise PermanentError(f"the handler's result cannot be stored: {problem}")
    return stored
