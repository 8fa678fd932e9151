"""Handing jobs to Redis. Only committed rows are dispatched, and the row says `waiting` first.

Each logical queue has ten RQ queues, one per priority level; workers pop them highest first.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any
from uuid import UUID

import redis
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rq import Queue
from rq.command import send_stop_job_command
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job

from jobs import signals
from jobs.lifecycle import job_hand_back, jobs_mark_waiting, jobs_withdraw, runnable
from jobs.models import QueueJob
from jobs.selectors import paused_queues
from queueproject.redis_client import get_redis
from queueproject.redis_settings import rq_queue_name

logger = logging.getLogger("jobs.dispatch")

RUNNER = "jobs.runner.execute"
FAILURE_TTL = 24 * 3600  # the ledger keeps the history; RQ's copy is only for django-rq's views
CHUNK = 500


def jobs_dispatch(
    *, ids: Iterable[UUID | str] | None = None, queue: str | None = None, at_front: bool = False
) -> int:
    """Hand runnable jobs (pending, or scheduled and due) to Redis, highest priority first and
    FIFO within a priority. Jobs of paused queues stay pending. Returns how many were handed over.
    If Redis is down, the jobs stay pending and maintenance dispatches them later. Inside a
    transaction it waits for the commit: a job reaches Redis only once its row is committed."""
    if transaction.get_connection().in_atomic_block:
        wanted = list(ids) if ids is not None else None
        transaction.on_commit(lambda: jobs_dispatch(ids=wanted, queue=queue, at_front=at_front))
        return 0
    candidates = QueueJob.objects.filter(runnable(now=timezone.now())).exclude(
        queue__in=paused_queues()
    )
    if ids is not None:
        id_list = list(ids)
        if len(id_list) > CHUNK:  # each priority level is its own RQ list: order survives chunks
            return sum(
                jobs_dispatch(ids=id_list[i : i + CHUNK], queue=queue, at_front=at_front)
                for i in range(0, len(id_list), CHUNK)
            )
        candidates = candidates.filter(pk__in=id_list)
    if queue is not None:
        candidates = candidates.filter(queue=queue)
    ordered = list(candidates.order_by("priority", "created_at").values_list("pk", flat=True))
    handed = 0
    for start in range(0, len(ordered), CHUNK):
        moved = _dispatch_chunk(ordered[start : start + CHUNK], at_front=at_front)
        if moved < 0:
            break
        handed += moved
    return handed


def job_requeue(job: QueueJob, *, reason: str, kind: str = "", **fields: Any) -> bool:
    """Hand an interrupted attempt back (not counted against max_attempts) and dispatch the job
    again at once. False if the attempt had already lost the job."""
    if not job_hand_back(job, reason=reason, kind=kind, **fields):
        return False
    jobs_dispatch(ids=[job.pk])
    signals.job_requeued.send_robust(sender=QueueJob, job=job)
    return True


def _dispatch_chunk(ids: list[UUID], *, at_front: bool) -> int:
    marker = timezone.now()  # identifies the rows this call claimed
    claimed = jobs_mark_waiting(ids, marker=marker)
    rows = list(claimed.order_by("priority", "created_at"))
    try:
        rq_enqueue(rows, at_front=at_front)
    except redis.RedisError as exc:
        jobs_withdraw(claimed)
        logger.warning("Redis unavailable, %d jobs stay pending: %s", len(rows), exc)
        return -1
    return len(rows)


def rq_enqueue(jobs: list[QueueJob], *, at_front: bool = False, top: bool = False) -> None:
    """Push jobs onto their priority level (or the top level, for a promotion) in one round trip."""
    connection = get_redis()
    with connection.pipeline() as pipe:
        for job in jobs:
            level = 1 if top else job.priority
            Queue(rq_queue_name(job.queue, level), connection=connection).enqueue_call(
                RUNNER,
                args=(str(job.pk),),
                job_id=str(job.pk),
                timeout=job.timeout_seconds,
                result_ttl=0,
                failure_ttl=FAILURE_TTL,
                description=f"{job.type} {job.pk}",
                at_front=at_front,
                pipeline=pipe,
            )
        pipe.execute()


def rq_remove(job_ids: Iterable[UUID | str]) -> None:
    """Take jobs out of their RQ queue (a worker that already popped one finds it gone)."""
    connection = get_redis()
    try:
        for job in Job.fetch_many([str(i) for i in job_ids], connection=connection):
            if job is not None:
                job.delete()
    except redis.RedisError as exc:
        logger.warning("could not remove jobs from Redis (the runner will skip them): %s", exc)


def rq_stop(job_id: UUID | str) -> None:
    """Ask the worker running this job to kill its work horse."""
    try:
        send_stop_job_command(get_redis(), str(job_id))
    except (InvalidJobOperation, NoSuchJobError):
        pass  # not executing in RQ's eyes: the handler sees the cancel at its next check
    except redis.RedisError as exc:
        logger.warning("could not send stop for job %s: %s", job_id, exc)


def configured_queues() -> list[str]:
    return list(settings.JOB_QUEUES)
