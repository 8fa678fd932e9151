from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from jobs.models import QueueJob, QueueMetric, QueueWorker
from jobs.snapshots import job_progress
from queueproject.api.fields import AwareDateTimeField, TimeField


class ProgressSerializer(serializers.Serializer):
    """A job's progress as jobs.snapshots builds it (the live messages carry the same)."""

    percent = serializers.FloatField()
    stage = serializers.CharField()
    message = serializers.CharField()
    processed = serializers.IntegerField()
    total = serializers.IntegerField(allow_null=True)

    def to_representation(self, instance: QueueJob) -> Any:
        return super().to_representation(job_progress(instance))


class JobSerializer(serializers.ModelSerializer):
    progress = ProgressSerializer(source="*")
    created_by = serializers.CharField(
        source="created_by.username", default=None, read_only=True, allow_null=True
    )
    created_at = TimeField()
    scheduled_at = TimeField(allow_null=True)
    started_at = TimeField(allow_null=True)
    completed_at = TimeField(allow_null=True)

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
    scheduled_at = AwareDateTimeField(required=False)
    max_attempts = serializers.IntegerField(min_value=1, max_value=100, required=False)
    batch_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["data"] = serializers.DictField(
            required=False, default=dict, help_text="the job's arguments (a JSON object)"
        )
        return fields


class FilterTextField(serializers.CharField):
    """A filter as the list's query string has it: text; a list of texts joins with commas."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, allow_blank=True, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        if isinstance(data, list) and all(isinstance(item, str | int) for item in data):
            data = ",".join(str(item) for item in data)
        return str(super().to_internal_value(data))


class BulkFilterSerializer(serializers.Serializer):
    """Which jobs a bulk action takes: the job list's filters, in the same forms (every given
    filter must match). With none, `"all": true` is required to act on every job."""

    status = FilterTextField(help_text="comma-separated, e.g. failed,cancelled")
    queue = FilterTextField()
    type = FilterTextField(help_text="a job type, e.g. system.fail")
    # The metaclass takes declared fields off the class, so this does not hide Field.source.
    source = FilterTextField(help_text="api, upload, admin, dashboard, ...")  # type: ignore[assignment]
    priority = FilterTextField(help_text="1 (highest) to 10")
    batch_id = FilterTextField()
    created_by = FilterTextField(help_text="a username")
    created_after = FilterTextField(help_text="ISO 8601 time")
    created_before = FilterTextField(help_text="ISO 8601 time")
    search = FilterTextField(help_text="as the list's search")
    all = serializers.BooleanField(
        required=False, default=False, help_text="act on every job when no filter is given"
    )


class WorkerSerializer(serializers.ModelSerializer):
    last_heartbeat = TimeField()
    started_at = TimeField()
    current_job = serializers.UUIDField(source="current_job_id", allow_null=True)

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


# -- shapes of the answers' `data`, for the schema (views build these dicts) ---------------------


class JobPageSerializer(serializers.Serializer):
    results = JobSerializer(many=True)
    next = serializers.URLField(allow_null=True, help_text="the next page, or null")
    previous = serializers.URLField(allow_null=True, help_text="the previous page, or null")


class QueueCountsSerializer(serializers.Serializer):
    waiting = serializers.IntegerField(help_text="pending or in Redis, in a running queue")
    active = serializers.IntegerField()
    completed = serializers.IntegerField()
    failed = serializers.IntegerField()
    delayed = serializers.IntegerField(help_text="scheduled, including retry backoff")
    paused = serializers.IntegerField(help_text="waiting in a paused queue")
    cancelled = serializers.IntegerField()
    total = serializers.IntegerField()


class QueueStateCountsSerializer(QueueCountsSerializer):
    is_paused = serializers.BooleanField()


class QueueStatsSerializer(QueueCountsSerializer):
    queues = serializers.DictField(child=QueueStateCountsSerializer(), help_text="per queue")


class QueueSwitchSerializer(serializers.Serializer):
    queue = serializers.CharField()
    paused = serializers.BooleanField()


class SuspendedSerializer(serializers.Serializer):
    suspended = serializers.BooleanField(help_text="whether every queue is paused")


class WorkerStatusSerializer(SuspendedSerializer):
    workers = WorkerSerializer(many=True)


def count_serializer(name: str, key: str, help_text: str) -> type[serializers.Serializer]:
    """`{key: int}`, the answer of a bulk action."""
    field = serializers.IntegerField(min_value=0, help_text=help_text)
    return type(name, (serializers.Serializer,), {key: field})


RetriedSerializer = count_serializer("RetriedSerializer", "retried", "jobs queued again")
CancelledSerializer = count_serializer("CancelledSerializer", "cancelled", "jobs cancelled")
DeletedSerializer = count_serializer("DeletedSerializer", "deleted", "jobs deleted")


JOB_REF = {"$ref": "#/components/schemas/Job"}


@extend_schema_field({"oneOf": [JOB_REF, {"type": "array", "items": JOB_REF}]})
class OneOrManyJobsField(serializers.Field):
    """The answer to a submission: the job, or the list of jobs of a batch submission."""
