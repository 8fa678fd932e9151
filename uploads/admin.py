from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from jobs.admin import status_badge
from uploads.models import Device, Member, Upload, UploadError

UPLOAD_FIELDS: dict[str | None, list[str]] = {
    None: [
        "original_name",
        "import_type",
        "mode",
        "policy",
        "dry_run",
        "uploaded_by",
        "created_at",
    ],
    "Job": ["job_link", "job_status", "processing_duration"],
    "Result": ["validation", "database"],
    "Files": ["file_link", "report_link", "size", "file_type", "sha256"],
}


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin):
    list_display = [
        "original_name",
        "import_type",
        "mode",
        "dry_run",
        "job_status",
        "rows",
        "created",
        "uploaded_by",
        "created_at",
    ]
    list_filter = ["import_type", "mode", "policy", "dry_run"]
    search_fields = ["original_name", "sha256", "uploaded_by__username", "=id"]
    date_hierarchy = "created_at"
    list_select_related = ["job", "uploaded_by"]
    # The stored files are reached through the dashboard's download views, which check who may
    # see the upload; the file fields' own links would point under MEDIA_ROOT, which is not served.
    fieldsets = [(title, {"fields": tuple(fields)}) for title, fields in UPLOAD_FIELDS.items()]
    readonly_fields = [name for fields in UPLOAD_FIELDS.values() for name in fields]

    @admin.display(description="Status", ordering="job__status")
    def job_status(self, upload: Upload) -> str:
        return status_badge(upload.job.status) if upload.job else "-"

    @admin.display(description="Rows")
    def rows(self, upload: Upload) -> str:
        return f"{int(upload.validation_stats.get('total_rows', 0)):,}"

    @admin.display(description="Created")
    def created(self, upload: Upload) -> str:
        return f"{int(upload.database_stats.get('created', 0)):,}"

    @admin.display(description="Job")
    def job_link(self, upload: Upload) -> str:
        if not upload.job_id:
            return "-"
        url = reverse("dashboard:upload-detail", args=[upload.job_id])
        return format_html('<a href="{}">{}</a> (its page in the dashboard)', url, upload.job_id)

    @admin.display(description="Duration")
    def processing_duration(self, upload: Upload) -> str:
        ms = upload.processing_duration_ms
        return "-" if ms is None else f"{ms / 1000:,.1f} s"

    @admin.display(description="Rows checked")
    def validation(self, upload: Upload) -> str:
        return _stats(upload.validation_stats, VALIDATION_LABELS)

    @admin.display(description="Database")
    def database(self, upload: Upload) -> str:
        labels = (
            {k: f"would be {v}" for k, v in DATABASE_LABELS.items()} if upload.dry_run else None
        )
        return _stats(upload.database_stats, labels or DATABASE_LABELS)

    @admin.display(description="File")
    def file_link(self, upload: Upload) -> str:
        if not upload.job_id or not upload.file:
            return "-"
        url = reverse("dashboard:upload-file", args=[upload.job_id])
        return format_html('<a href="{}">download {}</a>', url, upload.original_name)

    @admin.display(description="Error report")
    def report_link(self, upload: Upload) -> str:
        if not upload.job_id or not upload.error_report:
            return "-"
        url = reverse("dashboard:upload-report", args=[upload.job_id])
        return format_html('<a href="{}">download</a>', url)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


VALIDATION_LABELS = {
    "total_rows": "rows",
    "valid_rows": "valid",
    "invalid_rows": "with errors",
    "duplicate_rows": "duplicates",
}
DATABASE_LABELS = {
    "created": "created",
    "updated": "updated",
    "unchanged": "unchanged",
    "failed": "failed",
}


def _stats(stats: dict[str, int], labels: dict[str, str]) -> str:
    if not stats:
        return "-"
    return ", ".join(f"{int(stats.get(key, 0)):,} {label}" for key, label in labels.items())


@admin.register(UploadError)
class UploadErrorAdmin(admin.ModelAdmin):
    list_display = ["upload", "row_number", "column", "code", "message"]
    list_filter = ["code"]
    search_fields = ["message", "=upload__id"]
    list_select_related = ["upload"]


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = [
        "id_number",
        "first_name",
        "last_name",
        "province",
        "municipality",
        "cell_number",
        "updated_at",
    ]
    list_filter = ["province"]
    search_fields = ["=id_number", "last_name", "first_name", "email", "cell_number"]


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ["imei", "brand", "model", "status", "updated_at"]
    list_filter = ["status", "brand"]
    search_fields = ["=imei", "brand", "model"]
