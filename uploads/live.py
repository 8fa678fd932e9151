"""The bulk-upload messages of the WebSocket protocol (seed 004): bulk_upload_progress while it
runs, built from the job alone so that publishing progress costs no query, then
bulk_upload_complete (the import's counts, duration and report, read from its Upload) or
bulk_upload_failed."""

from __future__ import annotations

from jobs.live import Message, live_messages
from jobs.models import JobStatus, QueueJob
from jobs.snapshots import job_progress
from uploads.importing import IMPORT_JOB_TYPE
from uploads.models import Upload
from uploads.reports import error_report_url


@live_messages(IMPORT_JOB_TYPE)
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
    # The Upload holds what the import came to, as the status endpoint and the pages read it;
    # an upload deleted since reads as an unsaved one: no counts, no report.
    upload = Upload.objects.filter(job_id=job.pk).first() or Upload()
    return {
        "type": "bulk_upload_complete",
        "job_id": str(job.pk),
        "stats": {
            "validation_stats": upload.validation_stats,
            "database_stats": upload.database_stats,
            "dry_run": upload.dry_run,
        },
        "processing_duration_ms": upload.processing_duration_ms,
        "error_report_url": error_report_url(job.pk) if upload.error_report else None,
    }
