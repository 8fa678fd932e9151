"""What a handler receives: its arguments, a progress reporter, a cancellation check, a logger.

Progress is written to the job's row at most every PROGRESS_INTERVAL seconds (and always the last
state, on flush), so a handler may report per row without flooding the database.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from jobs import signals
from jobs.errors import JobCancelled
from jobs.lifecycle import attempt_row, event_record
from jobs.models import EventKind, QueueJob

PROGRESS_INTERVAL = 0.25
CANCEL_CHECK_INTERVAL = 0.5
MAX_LOG_EVENTS = 1000

logger = logging.getLogger("jobs.handler")


@dataclass
class Progress:
    percent: float = 0.0
    stage: str = ""
    message: str = ""
    processed: int = 0
    total: int | None = None


class JobLogger(logging.LoggerAdapter[logging.Logger]):
    """Log lines go to the process log and into the job's event log (up to MAX_LOG_EVENTS)."""

    def __init__(self, context: JobContext) -> None:
        super().__init__(logger, {"job_id": str(context.job.id)})
        self.context = context
        self.written = 0

    def log(self, level: int, msg: object, *args: Any, **kwargs: Any) -> None:
        super().log(level, f"[job {str(self.context.job.id)[:8]}] {msg}", *args, **kwargs)
        if self.written < MAX_LOG_EVENTS and self.isEnabledFor(level):
            self.written += 1
            text = str(msg) % args if args else str(msg)
            self.context.record(EventKind.LOG, text, level=logging.getLevelName(level))


class JobContext:
    def __init__(self, job: QueueJob, *, worker_name: str = "") -> None:
        self.job = job
        self.attempt = job.attempts
        self.worker_name = worker_name
        self.state = Progress(total=job.progress_total)
        self.log = JobLogger(self)
        self._written_at = 0.0
        self._dirty = False
        self._checked_at = 0.0
        self._cancelled = False

    @property
    def data(self) -> dict[str, Any]:
        return self.job.data

    def progress(
        self,
        percent: float | None = None,
        *,
        stage: str | None = None,
        message: str | None = None,
        processed: int | None = None,
        total: int | None = None,
    ) -> None:
        """Report progress; percent is derived from processed/total when not given."""
        state = self.state
        state.stage = stage if stage is not None else state.stage
        state.message = message if message is not None else state.message
        state.processed = processed if processed is not None else state.processed
        state.total = total if total is not None else state.total
        if percent is None and state.total:
            percent = 100.0 * state.processed / state.total
        if percent is not None:
            state.percent = max(0.0, min(100.0, float(percent)))
        self._dirty = True
        if time.monotonic() - self._written_at >= PROGRESS_INTERVAL:
            self.flush()

    def flush(self) -> None:
        """Write the latest progress now (the runner calls this when the handler returns)."""
        if not self._dirty:
            return
        state, now = self.state, timezone.now()
        written = attempt_row(self.job).update(
            progress_percent=state.percent,
            progress_stage=state.stage[:50],
            progress_message=state.message[:500],
            progress_processed=state.processed,
            progress_total=state.total,
            updated_at=now,
        )
        self._sync_job()
        self.job.updated_at = now
        self._written_at = time.monotonic()
        self._dirty = False
        if written:  # an attempt that lost its job (cancelled, taken back) has nothing to tell
            signals.job_progress.send_robust(sender=QueueJob, job=self.job)

    def is_cancelled(self) -> bool:
        """True once the job was cancelled (or taken away from this attempt)."""
        if self._cancelled:
            return True
        now = time.monotonic()
        if now - self._checked_at >= CANCEL_CHECK_INTERVAL:
            self._checked_at = now
            self._cancelled = not attempt_row(self.job).exists()
        return self._cancelled

    def check_cancelled(self) -> None:
        """Raise JobCancelled when the job was cancelled; call it between units of work."""
        if self.is_cancelled():
            raise JobCancelled(f"job {self.job.pk} was cancelled")

    def record(self, kind: str, message: str = "", **fields: Any) -> None:
        event_record(
            self.job.pk,
            kind,
            attempt=self.attempt,
            message=message,
            worker_name=self.worker_name,
            **fields,
        )

    def _sync_job(self) -> None:
        state = self.state
        self.job.progress_percent = state.percent
        self.job.progress_stage = state.stage
        self.job.progress_message = state.message
        self.job.progress_processed = state.processed
        self.job.progress_total = state.total
