from __future__ import annotations

import datetime as dt
from typing import Any

from rest_framework import serializers

from jobs.models import JobStatus, QueueJob, QueueMetric, QueueWorker


def iso_ms(value: dt.datetime | None) -> str | None:
    """ISO 8601 in UTC with milliseconds, as the seeds show times."""
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class TimeField(serializers.DateTimeField):
    def to_representation(self, value: dt.datetime) -> Any:
        return iso_ms(value)


class ProgressSerializer(serializers.Serializer):
    percent = serializers.FloatField(source="progress_percent")
    stage = serializers.CharField(source="progress_stage")
    message = serializers.CharField(source="progress_message")
    processed = serializers.IntegerField(source="progress_processed")
    total = serializers.IntegerField(source="progress_total", allow_null=True)


class JobSerializer(serializers.ModelSerializer):
    progress = ProgressSerializer(source="*")
    created_by = serializers.CharField(source="created_by.username", default=None, read_only=True)
    created_at = TimeField()
    scheduled_at = TimeField()
    started_at = TimeField()
    completed_at = TimeField()

    class Meta:
        model = QueueJob
        fields = [
            "id",
            "type",
            "queue",
            "priority",
            "status",
            "progress",
            "attempts",
            "max_attempts",
            "data",
            "result",
            "error_message",
            "batch_id",
            "created_by",
            "created_at",
            "scheduled_at",
            "started_at",
            "completed_at",
        ]
        read_only_fields = fields


class JobSubmitSerializer(serializers.Serializer):
    """A job to submit. Its arguments are the field `data` (declared in get_fields, because a
    class attribute named `data` would hide the serializer's own .data)."""

    type = serializers.CharField(max_length=100)
    priority = serializers.IntegerField(min_value=1, max_value=10, required=False)
    scheduled_at = serializers.DateTimeField(required=False)
    max_attempts = serializers.IntegerField(min_value=1, max_value=100, required=False)
    batch_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["data"] = serializers.DictField(
            required=False, default=dict, help_text="the job's arguments (a JSON object)"
        )
        return fields


class BulkFilterSerializer(serializers.Serializer):
    """Which jobs a bulk action applies to (every given filter must match)."""

    status = serializers.ListField(child=serializers.ChoiceField(JobStatus.values), required=False)
    type = serializers.CharField(required=False)
    queue = serializers.CharField(required=False)
    batch_id = serializers.CharField(required=False)


class WorkerSerializer(serializers.ModelSerializer):
    last_heartbeat = TimeField()
    started_at = TimeField()

    class Meta:
        model = QueueWorker
        fields = [
            "name",
            "hostname",
            "pid",
            "queues",
            "status",
            "last_heartbeat",
            "current_job",
            "jobs_completed",
            "jobs_failed",
            "busy_seconds",
            "started_at",
        ]


class MetricSerializer(serializers.ModelSerializer):
    captured_at = TimeField()

    class Meta:
        model = QueueMetric
        exclude = ["id"]
