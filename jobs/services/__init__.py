"""Writes to the job ledger. Views, admin actions, consumers and commands call these."""

from jobs.services.bulk import (
    BULK_ACTIONS,
    BulkOutcome,
    BulkPreview,
    jobs_act,
    jobs_act_preview,
    jobs_cancel,
    jobs_clean,
    jobs_clear_completed,
    jobs_delete,
    jobs_retry,
    queue_clean,
)
from jobs.services.control import (
    job_act,
    job_cancel,
    job_delete,
    job_promote,
    job_retry,
    jobs_promote_next,
    processing_resume,
    processing_suspend,
    queue_pause,
    queue_resume,
)
from jobs.services.dispatch import jobs_dispatch
from jobs.services.submit import JobSpec, job_priority_allowed, job_submit, job_submit_batch

__all__ = [
    "BULK_ACTIONS",
    "BulkOutcome",
    "BulkPreview",
    "JobSpec",
    "job_act",
    "job_cancel",
    "job_delete",
    "job_priority_allowed",
    "job_promote",
    "job_retry",
    "job_submit",
    "job_submit_batch",
    "jobs_act",
    "jobs_act_preview",
    "jobs_cancel",
    "jobs_clean",
    "jobs_clear_completed",
    "jobs_delete",
    "jobs_dispatch",
    "jobs_promote_next",
    "jobs_retry",
    "processing_resume",
    "processing_suspend",
    "queue_clean",
    "queue_pause",
    "queue_resume",
]
