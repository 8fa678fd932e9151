"""Lifecycle signals, sent after the change is committed. Listeners get `job` (a QueueJob).

Listeners must be cheap and must not raise: a failing listener is logged, never fails the job.
"""

from django.dispatch import Signal

job_submitted = Signal()
job_started = Signal()
job_progress = Signal()
job_completed = Signal()
job_failed = Signal()  # also sent for a failed attempt that will retry: check job.status
job_cancelled = Signal()  # also gets `previous`: the status the job was cancelled from
job_requeued = Signal()  # back in the queue: retried, promoted, handed back by a stopped worker
