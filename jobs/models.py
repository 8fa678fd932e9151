"""The job ledger: the SQL rows are the truth about every job; Redis only dispatches them."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, OrderBy
from django.urls import reverse
from django.utils import timezone


class JobStatus(models.TextChoices):
    PENDING = "pending", "Pending"  # recorded, not yet handed to Redis
    SCHEDULED = "scheduled", "Scheduled"  # delayed until scheduled_at (also retry backoff)
    WAITING = "waiting", "Waiting"  # in Redis
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class JobSource(models.TextChoices):
    API = "api", "API"
    UPLOAD = "upload", "Upload"
    ADMIN = "admin", "Admin"
    DASHBOARD = "dashboard", "Dashboard"
    SCHEDULE = "schedule", "Schedule"
    CLI = "cli", "Command line"


class NullsLastIndex(models.Index):
    """An index that may order a column DESC NULLS LAST, as the jobs list sorts. SQLite refuses
    NULLS LAST in an index and needs none (it puts nulls last in a descending order): it gets the
    plain DESC. Django builds an index through create_sql (migrations and SQLite's table rebuilds),
    so both go through here."""

    def create_sql(self, model: Any, schema_editor: Any, using: str = "", **kwargs: Any) -> Any:
        if schema_editor.connection.vendor != "sqlite":
            return super().create_sql(model, schema_editor, using=using, **kwargs)
        plain = self.clone()
        plain.expressions = tuple(
            OrderBy(e.expression, descending=True)
            if isinstance(e, OrderBy) and e.descending and e.nulls_last
            else e
            for e in self.expressions
        )
        return models.Index.create_sql(plain, model, schema_editor, using=using, **kwargs)


class QueueJob(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=100)
    queue = models.CharField(max_length=50, default="default")
    priority = models.PositiveSmallIntegerField(
        default=5, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.PENDING)
    data = models.JSONField(default=dict, blank=True)
    result = models.JSONField(null=True, blank=True)

    progress_percent = models.FloatField(default=0)
    progress_stage = models.CharField(max_length=50, blank=True)
    progress_message = models.CharField(max_length=500, blank=True)
    progress_processed = models.PositiveBigIntegerField(default=0)
    progress_total = models.PositiveBigIntegerField(null=True, blank=True)

    attempts = models.PositiveIntegerField(default=0)
    # Set afresh by every claim. A status change by an attempt names its run, so an attempt that
    # lost the job (stalled and re-queued, handed back, retried) cannot write over its successor.
    run_id = models.UUIDField(null=True, blank=True, editable=False)
    max_attempts = models.PositiveIntegerField(default=3)
    stalled_count = models.PositiveIntegerField(default=0)
    backoff_base_seconds = models.FloatField(default=10)
    backoff_max_seconds = models.FloatField(default=3600)
    timeout_seconds = models.PositiveIntegerField(default=600)

    error_message = models.TextField(blank=True)
    traceback = models.TextField(blank=True)

    scheduled_at = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    worker = models.ForeignKey(
        "QueueWorker", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="queue_jobs",
    )
    source = models.CharField(max_length=16, choices=JobSource.choices, default=JobSource.API)
    batch_id = models.CharField(max_length=64, blank=True, db_index=True)

    class Meta:
        db_table = "queue_jobs"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status"], name="queue_jobs_status_idx"),
            models.Index(fields=["queue", "status"], name="queue_jobs_queue_status_idx"),
            models.Index(fields=["type"], name="queue_jobs_type_idx"),
            # The list's sorts read their pages off these, ties broken by id (dashboard.paging);
            # a column that may be null sorts its nulls last, as the list does, newest first.
            models.Index(fields=["priority", "id"], name="queue_jobs_priority_id_idx"),
            models.Index(fields=["created_at"], name="queue_jobs_created_idx"),
            NullsLastIndex(
                F("started_at").desc(nulls_last=True), F("id").desc(), name="queue_jobs_started_idx"
            ),
            NullsLastIndex(
                F("completed_at").desc(nulls_last=True),
                F("id").desc(),
                name="queue_jobs_completed_idx",
            ),
            models.Index(
                fields=["status", "queue", "priority", "created_at"],
                name="queue_jobs_dispatch_idx",
            ),
            models.Index(fields=["status", "scheduled_at"], name="queue_jobs_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {str(self.id)[:8]} ({self.status})"

    def get_absolute_url(self) -> str:
        """The job's page in the dashboard (the admin's "View on site")."""
        return reverse("dashboard:job-detail", args=[self.pk])


class WorkerStatus(models.TextChoices):
    IDLE = "idle", "Idle"
    BUSY = "busy", "Busy"
    SUSPENDED = "suspended", "Suspended"
    STOPPED = "stopped", "Stopped"
    DEAD = "dead", "Dead"


class QueueWorker(models.Model):
    name = models.CharField(max_length=255, unique=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    queues = models.JSONField(default=list)
    status = models.CharField(
        max_length=16, choices=WorkerStatus.choices, default=WorkerStatus.IDLE
    )
    last_heartbeat = models.DateTimeField()
    current_job = models.ForeignKey(
        QueueJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    jobs_completed = models.PositiveIntegerField(default=0)
    jobs_failed = models.PositiveIntegerField(default=0)
    busy_seconds = models.FloatField(default=0)
    started_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "queue_workers"
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["status", "last_heartbeat"], name="queue_workers_live_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def queue_names(self) -> list[str]:
        """The ledger's queues this worker serves (it listens on one RQ queue per priority)."""
        return list(dict.fromkeys(name.rpartition(".")[0] or name for name in self.queues or []))

    @property
    def lifetime_seconds(self) -> float:
        end = self.stopped_at or timezone.now()
        return max(0.0, (end - self.started_at).total_seconds())


class QueueMetric(models.Model):
    """A periodic snapshot of one queue, taken by maintenance."""

    queue = models.CharField(max_length=50)
    captured_at = models.DateTimeField()
    interval_seconds = models.FloatField()
    waiting = models.PositiveIntegerField(default=0)
    active = models.PositiveIntegerField(default=0)
    scheduled = models.PositiveIntegerField(default=0)
    workers = models.PositiveIntegerField(default=0)
    completed = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    throughput_per_minute = models.FloatField(default=0)
    wait_avg_ms = models.FloatField(null=True, blank=True)
    wait_p50_ms = models.FloatField(null=True, blank=True)
    wait_p95_ms = models.FloatField(null=True, blank=True)
    run_avg_ms = models.FloatField(null=True, blank=True)
    run_p50_ms = models.FloatField(null=True, blank=True)
    run_p95_ms = models.FloatField(null=True, blank=True)
    error_rate = models.FloatField(default=0)
    oldest_waiting_seconds = models.FloatField(null=True, blank=True)

    class Meta:
        db_table = "queue_metrics"
        ordering = ["-captured_at"]
        indexes = [
            models.Index(fields=["queue", "captured_at"], name="queue_metrics_queue_time_idx")
        ]

    def __str__(self) -> str:
        return f"{self.queue} @ {self.captured_at:%Y-%m-%d %H:%M:%S}"


class EventKind(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    DISPATCHED = "dispatched", "Dispatched"
    STARTED = "started", "Attempt started"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Attempt failed"
    RETRY_SCHEDULED = "retry_scheduled", "Retry scheduled"
    CANCELLED = "cancelled", "Cancelled"
    RETRIED = "retried", "Retried manually"
    PROMOTED = "promoted", "Promoted"
    STALLED = "stalled", "Stalled"
    HANDED_BACK = "handed_back", "Handed back"
    LOG = "log", "Log"


class JobEvent(models.Model):
    """The job's history: attempts, status changes with their actor, and handler log lines."""

    job = models.ForeignKey(QueueJob, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    status = models.CharField(max_length=16, choices=JobStatus.choices, blank=True)
    attempt = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    level = models.CharField(max_length=10, blank=True)
    worker_name = models.CharField(max_length=255, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "queue_job_events"
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["job", "at"], name="queue_job_events_job_idx")]

    def __str__(self) -> str:
        return f"{self.kind} @ {self.at:%H:%M:%S}"


class QueueState(models.Model):
    """Per-queue switches that the ledger owns (a paused queue starts nothing new)."""

    queue = models.CharField(max_length=50, unique=True)
    paused = models.BooleanField(default=False)
    changed_at = models.DateTimeField(null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        db_table = "queue_states"

    def __str__(self) -> str:
        return f"{self.queue} ({'paused' if self.paused else 'running'})"


class IdempotencyKey(models.Model):
    """A client's Idempotency-Key on a submission, with the answer it got: a retry with the
    same key (same user, within IDEMPOTENCY_TTL) is answered again instead of creating twice.
    `status_code` is null while the first request is still being processed."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # sha256 of the endpoint and the request
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "queue_idempotency_keys"
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="queue_idempotency_user_key")
        ]
        indexes = [models.Index(fields=["created_at"], name="queue_idempotency_created_idx")]

    def __str__(self) -> str:
        return f"{self.key} ({self.user_id})"
