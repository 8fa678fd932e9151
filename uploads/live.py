"""The bulk-upload messages of the WebSocket protocol (seed 004), built from the job alone so that
publishing progress costs no query: bulk_upload_progress while it runs, then
bulk_upload_complete or bulk_upload_failed."""

from __future__ import annotations

from jobs.events import Message, live_messages
from jobs.models import JobStatus, QueueJob
from jobs.snapshots import job_progress
from uploads.reports import error_report_url


@live_messages("uploads.import")
def upload_messages(job: QueueJob) -> list[Message]:
    job_id = str(job.pk)
    if job.status == JobStatus.ACTIVE:
        return [_progress(job)]
    if job.status == JobStatus.COMPLETED:
        return [_complete(job)]
    if job.status == JobStatus.FAILED:
        return [{"type": "bulk_upload_failed", "job_id": job_id, "error": job.error_message}]
    return []


def _progress(job: QueueJob) -> Message:
    progress = job_progress(job)
    return {
        "type": "bulk_upload_progress",
        "job_id": str(job.pk),
        "stage": progress["stage"],
        "progress": progress["percent"],  # the seeds' name for the percent
        "message": progress["message"],
        "processed": progress["processed"],
        "total": progress["total"],
    }


def _complete(job: QueueJob) -> Message:
    result = job.result if isinstance(job.result, dict) else {}
    return {
        "type": "bulk_upload_complete",
        "job_id": str(job.pk),
        "stats": {
            "validation_stats": result.get("validation_stats", {}),
            "database_stats": result.get("database_stats", {}),
            "dry_run": result.get("dry_run", False),
        },
        # The pipeline's figure, as the status endpoint gives it (Upload.processing_duration_ms).
        "processing_duration_ms": result.get("processing_duration_ms"),
        "error_report_url": error_report_url(job.pk) if result.get("error_report") else None,
    }
