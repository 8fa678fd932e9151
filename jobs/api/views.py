"""The generic queue API (/api/v1/queue/...). Views parse input, call one service or selector,
and render through the envelope."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.shortcuts import get_object_or_404
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from jobs import selectors, services
from jobs.api.envelope import ok
from jobs.api.filters import JobFilter
from jobs.api.permissions import JobAccess, QueueOperator, allowed_priority
from jobs.api.serializers import (
    BulkFilterSerializer,
    JobSerializer,
    JobSubmitSerializer,
    MetricSerializer,
    WorkerSerializer,
)
from jobs.models import JobSource, JobStatus, QueueJob


class JobCursor(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 500


def submit_spec(user: Any, payload: dict[str, Any]) -> services.JobSpec:
    priority = allowed_priority(user, payload.get("priority"))
    return services.JobSpec(
        type=payload["type"],
        data=payload["data"],
        priority=priority,
        scheduled_at=payload.get("scheduled_at"),
        max_attempts=payload.get("max_attempts"),
        batch_id=payload.get("batch_id", ""),
    )


class OneJobView(APIView):
    """A view on one job: a job the user may not see is 404 (its existence is not revealed)."""

    permission_classes = [JobAccess]

    def get_job(self, job_id: Any) -> QueueJob:
        job = get_object_or_404(selectors.job_list(visible_to=self.request.user), pk=job_id)
        self.check_object_permissions(self.request, job)
        return job


class JobListView(APIView):
    @extend_schema(responses=JobSerializer(many=True))
    def get(self, request: Request) -> Response:
        jobs = JobFilter(request.query_params, queryset=selectors.job_list(visible_to=request.user))
        if not jobs.is_valid():
            raise exceptions.ValidationError(jobs.errors)
        paginator = JobCursor()
        page = paginator.paginate_queryset(jobs.qs, request, view=self)
        return ok(
            {
                "results": JobSerializer(page, many=True).data,
                "next": paginator.get_next_link(),
                "previous": paginator.get_previous_link(),
            }
        )

    @extend_schema(request=JobSubmitSerializer, responses={202: JobSerializer})
    def post(self, request: Request) -> Response:
        many = isinstance(request.data, list)
        payload = JobSubmitSerializer(data=request.data, many=many)
        payload.is_valid(raise_exception=True)
        items = payload.validated_data if many else [payload.validated_data]
        specs = [submit_spec(request.user, item) for item in items]
        jobs = services.job_submit_batch(specs=specs, created_by=request.user, source=JobSource.API)
        data = JobSerializer(jobs, many=True).data if many else JobSerializer(jobs[0]).data
        return ok(data, message=f"{len(jobs)} job(s) queued", status_code=202)


class JobDetailView(OneJobView):
    @extend_schema(responses=JobSerializer)
    def get(self, request: Request, job_id: str) -> Response:
        return ok(JobSerializer(self.get_job(job_id)).data)

    @extend_schema(responses=dict)
    def delete(self, request: Request, job_id: str) -> Response:
        services.job_delete(job=self.get_job(job_id), actor=request.user)
        return ok(None, message="job deleted")


class JobCancelView(OneJobView):
    @extend_schema(request=None, responses=JobSerializer)
    def post(self, request: Request, job_id: str) -> Response:
        job = services.job_cancel(job=self.get_job(job_id), actor=request.user)
        return ok(JobSerializer(job).data, message="job cancelled")


class JobRetryView(OneJobView):
    @extend_schema(request=None, responses={202: JobSerializer})
    def post(self, request: Request, job_id: str) -> Response:
        job = services.job_retry(job=self.get_job(job_id), actor=request.user)
        return ok(JobSerializer(job).data, message="job queued again", status_code=202)


def _bulk_jobs(request: Request, statuses: Sequence[str]) -> Any:
    criteria = BulkFilterSerializer(data=request.data or {})
    criteria.is_valid(raise_exception=True)
    wanted = {**criteria.validated_data}
    wanted["status"] = wanted.get("status") or statuses
    return selectors.job_list(**wanted)


class RetryFailedView(APIView):
    permission_classes = [QueueOperator]

    @extend_schema(request=BulkFilterSerializer, responses={202: dict})
    def post(self, request: Request) -> Response:
        done = services.jobs_retry(jobs=_bulk_jobs(request, [JobStatus.FAILED]), actor=request.user)
        return ok({"retried": done}, message=f"{done} job(s) queued again", status_code=202)


class BulkCancelView(APIView):
    permission_classes = [QueueOperator]

    @extend_schema(request=BulkFilterSerializer, responses=dict)
    def post(self, request: Request) -> Response:
        unfinished = [JobStatus.PENDING, JobStatus.SCHEDULED, JobStatus.WAITING, JobStatus.ACTIVE]
        done = services.jobs_cancel(jobs=_bulk_jobs(request, unfinished), actor=request.user)
        return ok({"cancelled": done}, message=f"{done} job(s) cancelled")


class ClearCompletedView(APIView):
    permission_classes = [QueueOperator]

    @extend_schema(responses=dict)
    def delete(self, request: Request) -> Response:
        hours = _number(request.query_params.get("older_than_hours", "0"), "older_than_hours")
        done = services.jobs_clean(
            older_than=dt.timedelta(hours=hours), statuses=[JobStatus.COMPLETED]
        )
        return ok({"deleted": done}, message=f"{done} completed job(s) deleted")


class StatsView(APIView):
    @extend_schema(responses=dict)
    def get(self, request: Request) -> Response:
        return ok(selectors.queue_stats())


class WorkersView(APIView):
    @extend_schema(responses=WorkerSerializer(many=True))
    def get(self, request: Request) -> Response:
        return ok(WorkerSerializer(selectors.worker_list(), many=True).data)


class MetricsView(APIView):
    @extend_schema(responses=MetricSerializer(many=True))
    def get(self, request: Request) -> Response:
        since = request.query_params.get("since")
        moment = parse_datetime(since) if since else None
        if since and moment is None:
            raise exceptions.ValidationError({"since": "must be an ISO 8601 time"})
        metrics = selectors.metric_list(queue=request.query_params.get("queue"), since=moment)
        return ok(MetricSerializer(metrics, many=True).data)


class QueueSwitchView(APIView):
    permission_classes = [QueueOperator]
    paused = False

    @extend_schema(request=None, responses=dict)
    def post(self, request: Request, queue: str) -> Response:
        action = services.queue_pause if self.paused else services.queue_resume
        action(queue=queue, actor=request.user)
        word = "paused" if self.paused else "resumed"
        return ok({"queue": queue, "paused": self.paused}, message=f"queue {queue} {word}")


def _number(raw: str, name: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise exceptions.ValidationError({name: "must be a number"}) from None
    if value < 0:
        raise exceptions.ValidationError({name: "must not be negative"})
    return value


# -- the seed-000 names, onto the same services -------------------------------------------------


class BatchSizeSerializer(serializers.Serializer):
    size = serializers.IntegerField(min_value=1, max_value=500, default=10)


class ProcessNextView(APIView):
    permission_classes = [QueueOperator]

    @extend_schema(request=None, responses=JobSerializer)
    def post(self, request: Request) -> Response:
        promoted = services.jobs_promote_next(count=1, actor=request.user)
        if not promoted:
            return ok(None, message="no waiting job")
        return ok(JobSerializer(promoted[0]).data, message="job moved to the front")


class ProcessBatchView(APIView):
    permission_classes = [QueueOperator]

    @extend_schema(request=BatchSizeSerializer, responses=JobSerializer(many=True))
    def post(self, request: Request) -> Response:
        form = BatchSizeSerializer(data=request.data or {})
        form.is_valid(raise_exception=True)
        promoted = services.jobs_promote_next(count=form.validated_data["size"], actor=request.user)
        return ok(
            JobSerializer(promoted, many=True).data,
            message=f"{len(promoted)} job(s) moved to the front",
        )


class WorkerSwitchView(APIView):
    permission_classes = [QueueOperator]
    suspend = False

    @extend_schema(request=None, responses=dict)
    def post(self, request: Request) -> Response:
        action = services.processing_suspend if self.suspend else services.processing_resume
        action(actor=request.user)
        word = "stopped" if self.suspend else "started"
        return ok({"suspended": self.suspend}, message=f"processing {word}")


class WorkerStatusView(APIView):
    @extend_schema(responses=dict)
    def get(self, request: Request) -> Response:
        workers = WorkerSerializer(selectors.worker_list(), many=True).data
        return ok({"suspended": selectors.processing_suspended(), "workers": workers})
