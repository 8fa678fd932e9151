"""The bulk-upload messages of the WebSocket protocol (seed 004), built from the job alone so that
publishing progress costs no query: bulk_upload_progress while it runs, then
bulk_upload_complete or bulk_upload_failed."""

from __future__ import annotations

from django.urls import reverse

from jobs.events import Message, live_messages
from jobs.models import JobStatus, QueueJob


@live_messages("uploads.import")
def upload_messages(job: QueueJob) -> list[Message]:
    job_id = str(job.pk)
    if job.status == JobStatus.ACTIVE:
        return [
            {
                "type": "bulk_upload_progress",
                "job_id": job_id,
                "stage": job.progress_stage,
                "progress": job.progress_percent,
                "message": job.progress_message,
                "processed": job.progress_processed,
                "total": job.progress_total,
            }
        ]
    if job.status == JobStatus.COMPLETED:
        return [_complete(job)]
    if job.status == JobStatus.FAILED:
        return [{"type": "bulk_upload_failed", "job_id": job_id, "error": job.error_message}]
    return []


def _complete(job: QueueJob) -> Message:
    result = job.result if isinstance(job.result, dict) else {}
    duration = None
    if job.started_at and job.completed_at:
        duration = int((job.completed_at - job.started_at).total_seconds() * 1000)
    return {
        "type": "bulk_upload_complete",
        "job_id": str(job.pk),
        "stats": {
            "validation_stats": result.get("validation_stats", {}),
            "database_stats": result.get("database_stats", {}),
            "dry_run": result.get("dry_run", False),
        },
        "processing_duration_ms": duration,
        "error_report_url": (
            reverse("bulk-upload-errors", args=[job.pk]) if result.get("error_report") else None
        ),
    }
