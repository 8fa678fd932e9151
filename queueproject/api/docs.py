"""What Swagger UI (/api/docs/) tells a client developer about each operation: its resource tag,
a summary and a description in the client's words. Kept in one table, the API's guide, so that
no operation falls back to its view's docstring (written for the code's readers); an operation
missing from the table keeps drf-spectacular's defaults, and tests/api/test_schema.py fails."""

from __future__ import annotations

from typing import Any

JOBS, QUEUES, WORKERS, METRICS, UPLOADS = "jobs", "queues", "workers", "metrics", "bulk upload"

TAGS = [
    {"name": JOBS, "description": "Submit, list, filter, cancel, retry and delete jobs."},
    {"name": QUEUES, "description": "Counts per queue; pause, resume and reorder a queue."},
    {"name": WORKERS, "description": "The workers that run jobs; stop and start all processing."},
    {"name": METRICS, "description": "Periodic snapshots of each queue, for charts."},
    {
        "name": UPLOADS,
        "description": "Import members or devices from an xlsx or CSV file, or JSON records.",
    },
]

_BY_ID = "Answers 404 for an unknown id or a job you may not see."
_OPERATORS = "For queue operators (group queue_operator) and superusers."
_IDEMPOTENT = (
    " Send an Idempotency-Key header to make a retry safe: the same key within 24 h answers the "
    "first answer again (200, no new job); the same key with a different request is 409."
)
_LIST_FILTERS = (
    "Filters (all optional, combined with AND): status (comma-separated), queue, type, source, "
    "priority, batch_id, created_by, created_after, created_before and search. An unknown status, "
    "queue, type or source is a 400 that names the field and the allowed values."
)

OPERATIONS: dict[str, tuple[str, str, str]] = {
    # -- jobs -------------------------------------------------------------------------------
    "GET /api/v1/queue/jobs": (
        JOBS,
        "List jobs",
        "Jobs newest first, in pages: follow `next` and `previous`; `limit` sets the page size. "
        f"Staff see every job, other users their own. {_LIST_FILTERS}",
    ),
    "POST /api/v1/queue/jobs": (
        JOBS,
        "Submit one job, or a list of jobs",
        "Queues a job of a client job type with its arguments in `data`; a JSON list submits a "
        "batch, all or none. Answers 202 with the job(s); 429 when the queue is full or you "
        "submit too fast (see Retry-After)." + _IDEMPOTENT,
    ),
    "GET /api/v1/queue/items": (
        JOBS,
        "List jobs (read-only address)",
        "The same list as GET /api/v1/queue/jobs, with the same filters and pages. "
        f"{_LIST_FILTERS}",
    ),
    "GET /api/v1/queue/jobs/{job_id}": (
        JOBS,
        "Get one job",
        f"The job's status, progress, attempts, arguments and result. {_BY_ID}",
    ),
    "DELETE /api/v1/queue/jobs/{job_id}": (
        JOBS,
        "Delete a job",
        "Removes a finished, pending or scheduled job and its history; an active or waiting job "
        f"is a 409 (cancel it first). {_BY_ID}",
    ),
    "POST /api/v1/queue/jobs/{job_id}/cancel": (
        JOBS,
        "Cancel a job",
        "A pending, scheduled or waiting job never runs; an active job is stopped at once. A "
        f"finished job is a 409 naming its status. {_BY_ID}",
    ),
    "POST /api/v1/queue/jobs/{job_id}/retry": (
        JOBS,
        "Retry a failed or cancelled job",
        f"Queues a fresh attempt and keeps the job's history. Any other status is a 409. {_BY_ID}",
    ),
    "POST /api/v1/queue/retry-failed": (
        JOBS,
        "Retry every failed job that matches",
        "Takes the list's filters as a JSON object, in the same forms as the query string "
        '(`{"type": "system.fail", "status": "failed,cancelled"}`); without `status`, failed '
        'jobs only. A body with no filter is a 400 unless it says `"all": true`. Answers the '
        f"number retried. {_OPERATORS}",
    ),
    "POST /api/v1/queue/cancel": (
        JOBS,
        "Cancel every unfinished job that matches",
        "Takes the list's filters as a JSON object, in the same forms as the query string "
        '(`{"status": "scheduled,waiting"}`); finished jobs among them are left alone. A body '
        'with no filter is a 400 unless it says `"all": true`. Answers the number cancelled. '
        f"{_OPERATORS}",
    ),
    "DELETE /api/v1/queue/clear-completed": (
        JOBS,
        "Delete completed jobs",
        "Deletes completed jobs, with their history, that completed at least `older_than_hours` "
        "ago; without it (or with 0), every completed job. Failed and cancelled jobs stay. "
        f"Answers the number deleted. {_OPERATORS}",
    ),
    # -- queues -----------------------------------------------------------------------------
    "GET /api/v1/queue/stats": (
        QUEUES,
        "Job counts, in total and per queue",
        "waiting (pending or in Redis), active, completed, failed, delayed (scheduled, retry "
        "backoff included), paused (waiting in a paused queue), cancelled and total; per queue "
        "also whether it is paused.",
    ),
    "POST /api/v1/queue/{queue}/pause": (
        QUEUES,
        "Pause a queue",
        "Nothing new starts in the queue; active jobs finish and waiting jobs keep their place. "
        f"An unknown queue is a 400. {_OPERATORS}",
    ),
    "POST /api/v1/queue/{queue}/resume": (
        QUEUES,
        "Resume a queue",
        f"Jobs in the queue start again, in priority order. {_OPERATORS}",
    ),
    "POST /api/v1/queue/process-next": (
        QUEUES,
        "Run the next waiting job first",
        "Moves the oldest waiting job of the highest priority ahead of all others, so the next "
        f"free worker takes it. Answers that job, or null when nothing waits. {_OPERATORS}",
    ),
    "POST /api/v1/queue/process-batch": (
        QUEUES,
        "Run the next waiting jobs first",
        "As process-next, for up to `size` jobs (10 by default). Answers the jobs moved. "
        f"{_OPERATORS}",
    ),
    # -- workers ----------------------------------------------------------------------------
    "GET /api/v1/queue/workers": (
        WORKERS,
        "List the running workers",
        "Each worker's host, pid, queues, status, last heartbeat, current job and counts.",
    ),
    "GET /api/v1/queue/worker/status": (
        WORKERS,
        "Whether processing is stopped, and the workers",
        "`suspended` is true while every queue is paused (after POST worker/stop).",
    ),
    "POST /api/v1/queue/worker/stop": (
        WORKERS,
        "Stop all processing",
        f"Pauses every queue: nothing new starts anywhere; active jobs finish. {_OPERATORS}",
    ),
    "POST /api/v1/queue/worker/start": (
        WORKERS,
        "Start all processing again",
        f"Resumes every queue. {_OPERATORS}",
    ),
    # -- metrics ----------------------------------------------------------------------------
    "GET /api/v1/queue/metrics": (
        METRICS,
        "Queue metric snapshots",
        "Snapshots taken every maintenance pass (30 s by default), newest first: waiting, "
        "active, workers, throughput, wait and run times (avg, p50, p95), error rate, oldest "
        "waiting job. Narrow them with `queue` and `since` (ISO 8601).",
    ),
    # -- bulk upload ------------------------------------------------------------------------
    "POST /api/v1/bulk-upload/process": (
        UPLOADS,
        "Upload a file, or JSON records, for import",
        "A multipart `file` (xlsx or CSV) or a JSON body with `records`, plus the import type, "
        "mode (upsert, create_only, update_only), policy (skip_invalid, all_or_nothing) and "
        "`dry_run` (validate and report, write nothing). Answers 202 with the `job_id` to follow. "
        "413 for a file over the size limit, 415 for a type that is not xlsx or CSV." + _IDEMPOTENT,
    ),
    "GET /api/v1/bulk-upload/status/{job_id}": (
        UPLOADS,
        "Follow an upload",
        "Status, progress, row counts (valid, invalid, duplicate), what was written (created, "
        "updated, unchanged), the import's run time, and `error_report_url` (a path on this "
        f"server) when some rows were refused. {_BY_ID}",
    ),
    "POST /api/v1/bulk-upload/confirm/{job_id}": (
        UPLOADS,
        "Import a dry run for real",
        "Queues a new job that imports the dry run's file and answers the upload's status under "
        "that new `job_id`; follow the new id from then on. Only a completed dry run may be "
        f"confirmed (409 otherwise). {_BY_ID}",
    ),
    "POST /api/v1/bulk-upload/cancel/{job_id}": (
        UPLOADS,
        "Cancel an upload",
        "Stops the import; rows already written in committed batches stay. A finished upload is "
        f"a 409. {_BY_ID}",
    ),
    "GET /api/v1/bulk-upload/errors/{job_id}": (
        UPLOADS,
        "Download the error report",
        "An xlsx with each refused row as given and the reasons; fix it and upload it again. "
        "409 until the import has finished; 404 for an import without bad rows, an unknown id, "
        "or an upload you may not see.",
    ),
    "GET /api/v1/bulk-upload/template/{import_type}": (
        UPLOADS,
        "Download an import template",
        "An xlsx with the import type's columns, an example row and drop-downs where values "
        "are fixed.",
    ),
    "GET /api/v1/bulk-upload/history": (
        UPLOADS,
        "List uploads",
        "Your uploads newest first (staff: everyone's), each as the status endpoint shows it; "
        "`limit` (50 by default) caps the list.",
    ),
    "GET /api/v1/bulk-upload/statistics": (
        UPLOADS,
        "Upload totals",
        "Over the uploads you may see: how many by status and by import type, rows processed, "
        "rows created and bytes uploaded.",
    ),
    "GET /api/v1/bulk-upload/queue/stats": (
        UPLOADS,
        "Job counts of the uploads queue",
        "As GET /api/v1/queue/stats, for the uploads queue alone.",
    ),
    "GET /api/v1/bulk-upload/queue/jobs": (
        UPLOADS,
        "Jobs of the uploads queue",
        "Newest first, `limit` of them (20 by default); other users see their own.",
    ),
    "POST /api/v1/bulk-upload/queue/retry/{job_id}": (
        UPLOADS,
        "Retry a failed or cancelled upload",
        f"Queues the import again. Any other status is a 409. {_BY_ID}",
    ),
    "POST /api/v1/bulk-upload/queue/clean": (
        UPLOADS,
        "Delete finished upload jobs",
        "Deletes the uploads queue's completed and failed jobs that finished over "
        "`gracePeriodHours` (24 by default) ago, with their files and reports. Answers the "
        f"number removed. {_OPERATORS}",
    ),
    "POST /api/v1/bulk-upload/queue/pause": (
        UPLOADS,
        "Pause the uploads queue",
        f"No new import starts; running ones finish. {_OPERATORS}",
    ),
    "POST /api/v1/bulk-upload/queue/resume": (
        UPLOADS,
        "Resume the uploads queue",
        f"Waiting imports start again. {_OPERATORS}",
    ),
}


def describe_operations(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: tag, summary and description for every operation."""
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            described = OPERATIONS.get(f"{method.upper()} {path}")
            if described is not None:  # the schema is served even when one is missing
                tag, summary, description = described
                operation.update(tags=[tag], summary=summary, description=description)
    return result
