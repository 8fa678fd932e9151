from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html

from uploads.models import Device, Member, Upload, UploadError


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
    readonly_fields = [f.name for f in Upload._meta.fields] + ["report_link"]

    @admin.display(description="Status", ordering="job__status")
    def job_status(self, upload: Upload) -> str:
        return upload.job.status if upload.job else "-"

    @admin.display(description="Rows")
    def rows(self, upload: Upload) -> int:
        return int(upload.validation_stats.get("total_rows", 0))

    @admin.display(description="Created")
    def created(self, upload: Upload) -> int:
        return int(upload.database_stats.get("created", 0))

    @admin.display(description="Error report")
    def report_link(self, upload: Upload) -> str:
        if not upload.error_report:
            return "-"
        return format_html('<a href="{}">download</a>', upload.error_report.url)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


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
