"""What a job is now, as clients see it: its progress, and its status snapshot (status, progress,
attempts, result, error and times). The live messages send the snapshot; the API's serializers
take the progress from here and write times with the same `iso_ms`, so that both say the same in
the same words."""

from __future__ import annotations

from typing import Any

from jobs.models import QueueJob
from queueproject.times import iso_ms


def job_progress(job: QueueJob) -> dict[str, Any]:
    """percent, stage, message, processed and total (None while unknown)."""
    return {
        "percent": job.progress_percent,
        "stage": job.progress_stage,
        "message": job.progress_message,
        "processed": job.progress_processed,
        "total": job.progress_total,
    }


def job_times(job: QueueJob) -> dict[str, str | None]:
    """When the job was created, is scheduled for, started and completed (ISO 8601, ms)."""
    return {
        "created_at": iso_ms(job.created_at),
        "scheduled_at": iso_ms(job.scheduled_at),
        "started_at": iso_ms(job.started_at),
        "completed_at": iso_ms(job.completed_at),
    }


def job_snapshot(job: QueueJob) -> dict[str, Any]:
    """The job's state: status, progress, attempts, result, error message and times."""
    return {
        "status": job.status,
        "progress": job_progress(job),
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "result": job.result,
        "error_message": job.error_message,
        **job_times(job),
    }
