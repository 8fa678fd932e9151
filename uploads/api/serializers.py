from __future__ import annotations

from typing import Any
from uuid import UUID

from rest_framework import serializers

from jobs.api.serializers import ProgressSerializer
from queueproject.api.fields import AwareDateTimeField
from queueproject.times import iso_ms
from uploads.importers import IMPORT_TYPES
from uploads.models import ErrorPolicy, ImportMode, Upload
from uploads.reports import error_report_url


class UploadOptionsSerializer(serializers.Serializer):
    import_type = serializers.ChoiceField(sorted(IMPORT_TYPES), default="members")
    mode = serializers.ChoiceField(ImportMode.choices, default=ImportMode.UPSERT)
    policy = serializers.ChoiceField(ErrorPolicy.choices, default=ErrorPolicy.SKIP_INVALID)
    dry_run = serializers.BooleanField(default=False)
    priority = serializers.IntegerField(min_value=1, max_value=10, required=False)
    scheduled_at = AwareDateTimeField(required=False)


class UploadFileRequestSerializer(UploadOptionsSerializer):
    """The multipart form of a request."""

    file = serializers.FileField(help_text="an xlsx, xls, ods or CSV file")


class UploadConfirmRequestSerializer(serializers.Serializer):
    """Confirming a dry run: the import keeps the dry run's priority unless another is asked for
    (within what the user's role allows)."""

    priority = serializers.IntegerField(min_value=1, max_value=10, required=False)


class UploadRecordsRequestSerializer(UploadOptionsSerializer):
    """The JSON form of a request: the records themselves, one object per row."""

    records = serializers.ListField(child=serializers.DictField(), allow_empty=False)


class UploadRequestSerializer(UploadOptionsSerializer):
    """Either form, as the view validates it."""

    # Empty files reach the upload service, which refuses them with its own clear message.
    file = serializers.FileField(required=False, allow_empty_file=True)
    records = serializers.ListField(
        child=serializers.DictField(), required=False, allow_empty=False
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if bool(attrs.get("file")) == bool(attrs.get("records")):
            raise serializers.ValidationError(
                {"file": "send a file (multipart) or records (JSON), exactly one of them"}
            )
        return attrs


class ValidationStatsSerializer(serializers.Serializer):
    total_rows = serializers.IntegerField(required=False)
    valid_rows = serializers.IntegerField(required=False)
    invalid_rows = serializers.IntegerField(required=False)
    duplicate_rows = serializers.IntegerField(required=False)


class DatabaseStatsSerializer(serializers.Serializer):
    created = serializers.IntegerField(required=False)
    updated = serializers.IntegerField(required=False)
    unchanged = serializers.IntegerField(required=False)
    failed = serializers.IntegerField(required=False)


class UploadQueuedSerializer(serializers.Serializer):
    job_id = serializers.UUIDField()
    status = serializers.CharField()
    file_name = serializers.CharField()
    message = serializers.CharField()


class UploadStatisticsSerializer(serializers.Serializer):
    total_uploads = serializers.IntegerField()
    by_status = serializers.DictField(child=serializers.IntegerField())
    by_import_type = serializers.DictField(child=serializers.IntegerField())
    by_uploader = serializers.DictField(
        child=serializers.IntegerField(), help_text="uploads per user name, the 10 busiest"
    )
    rows_processed = serializers.IntegerField()
    rows_created = serializers.IntegerField()
    bytes_uploaded = serializers.IntegerField()


class CleanedSerializer(serializers.Serializer):
    cleaned = serializers.IntegerField(min_value=0, help_text="finished upload jobs removed")


class UploadStatusSerializer(serializers.ModelSerializer):
    job_id = serializers.UUIDField(source="job.id")
    status = serializers.CharField(source="job.status")
    file_name = serializers.CharField(source="original_name")
    uploaded_by = serializers.CharField(
        source="uploaded_by.username", default=None, allow_null=True
    )
    priority = serializers.IntegerField(source="job.priority")
    attempts = serializers.IntegerField(source="job.attempts")
    progress = ProgressSerializer(source="job")
    validation_stats = ValidationStatsSerializer()
    database_stats = DatabaseStatsSerializer()
    error_report_url = serializers.SerializerMethodField()
    dry_run_job_id = serializers.SerializerMethodField(
        help_text="on an import queued by confirming a dry run: the dry run's job id"
    )
    confirmed_job_id = serializers.SerializerMethodField(
        help_text="on a dry run that was confirmed: the job id of the import that confirmed it"
    )
    error_message = serializers.CharField(source="job.error_message")
    created_at = serializers.SerializerMethodField()
    started_at = serializers.SerializerMethodField()
    completed_at = serializers.SerializerMethodField()

    class Meta:
        model = Upload
        fields = [
            "job_id",
            "status",
            "file_name",
            "import_type",
            "mode",
            "policy",
            "dry_run",
            "uploaded_by",
            "priority",
            "attempts",
            "progress",
            "validation_stats",
            "database_stats",
            "dry_run_job_id",
            "confirmed_job_id",
            "processing_duration_ms",
            "error_report_url",
            "error_message",
            "created_at",
            "started_at",
            "completed_at",
        ]

    def get_error_report_url(self, upload: Upload) -> str | None:
        if not upload.error_report or upload.job_id is None:
            return None
        return error_report_url(upload.job_id)

    def get_dry_run_job_id(self, upload: Upload) -> UUID | None:
        return upload.dry_run_of.job_id if upload.dry_run_of else None

    def get_confirmed_job_id(self, upload: Upload) -> UUID | None:
        confirmed = getattr(upload, "confirmed_by", None)  # a reverse one-to-one: absent raises
        return confirmed.job_id if confirmed else None

    def get_created_at(self, upload: Upload) -> str | None:
        return iso_ms(upload.created_at)

    def get_started_at(self, upload: Upload) -> str | None:
        return iso_ms(upload.job.started_at) if upload.job else None

    def get_completed_at(self, upload: Upload) -> str | None:
        return iso_ms(upload.job.completed_at) if upload.job else None
