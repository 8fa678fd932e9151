from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html

from jobs.filters import job_search
from jobs.models import JobEvent, QueueJob, QueueMetric, QueueWorker
from jobs.services import jobs_act
from jobs.services.control import job_actions_allowed

# (background, text) of a badge, by what a status means: the dashboard's badges (base.css) in
# the same colours. A job's and a worker's statuses that mean alike look alike.
QUEUED = ("#e8eefc", "#23449a")
LATER = ("#efe8fc", "#5b2f9a")
WORKING = ("#e1f1fb", "#075a8a")
FINE = ("#e3f4e8", "#1f6a35")
BROKEN = ("#fbe4e2", "#a3231b")
ENDED = ("#ececec", "#555555")
HELD = ("#fff0d6", "#8a5200")
OTHER = ("#e6e9ef", "#3a4252")
STATUS_COLOURS = {
    "pending": QUEUED,
    "waiting": QUEUED,
    "scheduled": LATER,
    "active": WORKING,
    "busy": WORKING,
    "completed": FINE,
    "idle": FINE,
    "failed": BROKEN,
    "dead": BROKEN,
    "cancelled": ENDED,
    "stopped": ENDED,
    "suspended": HELD,
}


def status_badge(status: str) -> str:
    """A status as the dashboard shows it: a coloured badge."""
    background, colour = STATUS_COLOURS.get(status, OTHER)
    return format_html(
        '<span style="background:{};color:{};padding:1px 8px;border-radius:9px;'
        'font-weight:600;white-space:nowrap">{}</span>',
        background,
        colour,
        status,
    )


class JobEventInline(admin.TabularInline):
    model = JobEvent
    fields = readonly_fields = (
        "at",
        "kind",
        "status",
        "attempt",
        "worker_name",
        "actor",
        "message",
        "details",
    )
    extra = 0
    can_delete = False
    ordering = ["at", "id"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class LedgerAdmin(admin.ModelAdmin):
    """Rows the engine writes (jobs, workers, metrics): the admin shows every field read-only
    and adds none; what staff may do goes through the services (the actions)."""

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(QueueJob)
class QueueJobAdmin(LedgerAdmin):
    inlines = [JobEventInline]
    actions = ["retry_jobs", "cancel_jobs"]
    list_display = [
        "short_id",
        "type",
        "queue",
        "priority",
        "status_badge",
        "progress",
        "attempts_display",
        "created_by",
        "source",
        "created_at",
        "completed_at",
    ]
    list_filter = ["status", "queue", "type", "priority", "source"]
    # The search is job_search's (get_search_results), the API's and the dashboard's; a field is
    # listed only so that the changelist shows its search box.
    search_fields = ["id"]
    search_help_text = (
        "A job id or its first 8+ characters, a batch id or a username; "
        "or text in the type, an upload's file name or the error."
    )
    date_hierarchy = "created_at"
    list_select_related = ["created_by", "worker"]
    list_per_page = 50
    fieldsets = [
        (None, {"fields": ["id", "type", "queue", "priority", "status", "source", "batch_id"]}),
        ("Arguments and result", {"fields": ["data", "result"]}),
        (
            "Progress",
            {
                "fields": [
                    "progress_percent",
                    "progress_stage",
                    "progress_message",
                    "progress_processed",
                    "progress_total",
                ]
            },
        ),
        (
            "Attempts",
            {
                "fields": [
                    "attempts",
                    "max_attempts",
                    "stalled_count",
                    "backoff_base_seconds",
                    "backoff_max_seconds",
                    "timeout_seconds",
                    "error_message",
                    "traceback",
                ]
            },
        ),
        (
            "Timing",
            {
                "fields": [
                    "created_at",
                    "scheduled_at",
                    "enqueued_at",
                    "started_at",
                    "completed_at",
                    "updated_at",
                    "worker",
                    "created_by",
                ]
            },
        ),
    ]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[QueueJob], search_term: str
    ) -> tuple[QuerySet[QueueJob], bool]:
        return job_search(queryset, search_term), False

    @admin.action(description="Retry selected failed or cancelled jobs")
    def retry_jobs(self, request: HttpRequest, queryset: QuerySet[QueueJob]) -> None:
        self._act(request, "retry", queryset)

    @admin.action(description="Cancel selected unfinished jobs")
    def cancel_jobs(self, request: HttpRequest, queryset: QuerySet[QueueJob]) -> None:
        self._act(request, "cancel", queryset)

    def _act(self, request: HttpRequest, action: str, queryset: QuerySet[QueueJob]) -> None:
        """Say what was done, what was skipped, and why: "0 retried; 1 skipped: completed jobs
        are not retried." (the dashboard's words)."""
        outcome = jobs_act(action=action, jobs=queryset, actor=request.user)
        level = messages.SUCCESS if outcome.done else messages.WARNING
        self.message_user(request, outcome.summary(of=queryset.count()), level)

    @admin.display(description="Status", ordering="status")
    def status_badge(self, job: QueueJob) -> str:
        return status_badge(job.status)

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # The ledger changes through its services only: the change page is a read-only view with
        # the actions the job's status allows (templates/admin/jobs/queuejob/change_form.html).
        return False

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        job = self.get_object(request, object_id)
        allowed = job_actions_allowed(request.user, job) if job is not None else []
        context = {**(extra_context or {}), "job_actions": allowed}
        return super().change_view(request, object_id, form_url, extra_context=context)

    @admin.display(description="ID", ordering="id")
    def short_id(self, job: QueueJob) -> str:
        return str(job.id)[:8]

    @admin.display(description="Progress", ordering="progress_percent")
    def progress(self, job: QueueJob) -> str:
        return f"{job.progress_percent:.0f}%"

    @admin.display(description="Attempts", ordering="attempts")
    def attempts_display(self, job: QueueJob) -> str:
        return f"{job.attempts}/{job.max_attempts}"


@admin.register(QueueWorker)
class QueueWorkerAdmin(LedgerAdmin):
    list_display = [
        "name",
        "hostname",
        "pid",
        "status",
        "last_heartbeat",
        "current_job",
        "jobs_completed",
        "jobs_failed",
        "started_at",
    ]
    list_filter = ["status", "hostname"]
    search_fields = ["name", "hostname"]
    list_select_related = ["current_job"]


@admin.register(QueueMetric)
class QueueMetricAdmin(LedgerAdmin):
    list_display = [
        "queue",
        "captured_at",
        "waiting",
        "active",
        "workers",
        "completed",
        "failed",
        "throughput_per_minute",
        "wait_p95_ms",
        "run_p95_ms",
        "error_rate",
    ]
    list_filter = ["queue"]
    date_hierarchy = "captured_at"
