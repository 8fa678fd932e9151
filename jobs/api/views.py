"""The generic queue API (/api/v1/queue/...). Views parse input, call one service or selector,
and render through the envelope."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer
from rest_framework import exceptions, serializers
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from jobs import selectors, services
from jobs.api import examples
from jobs.api.idempotency import idempotent
from jobs.api.permissions import JobAccess, QueueOperator
from jobs.api.serializers import (
    MAX_AGE_HOURS,
    AgeSerializer,
    BatchSizeSerializer,
    BulkFilterSerializer,
    CancelledSerializer,
    DeletedSerializer,
    JobPageSerializer,
    JobSerializer,
    JobSubmitSerializer,
    MetricSerializer,
    OneOrManyJobsField,
    QueueCountsSerializer,
    QueueStatsSerializer,
    QueueSwitchSerializer,
    RetriedSerializer,
    SuspendedSerializer,
    WorkerSerializer,
    WorkerStatusSerializer,
)
from jobs.filters import FILTER_FIELDS, as_utc, job_filter
from jobs.models import JobSource, JobStatus, QueueJob
from queueproject.api.envelope import ok
from queueproject.api.schema import envelope_schema

JOBS = JobSerializer(many=True)
WORKERS = WorkerSerializer(many=True)
METRICS = MetricSerializer(many=True)
SUBMISSIONS = PolymorphicProxySerializer(
    component_name="JobSubmission",
    serializers=[
        JobSubmitSerializer,
        JobSubmitSerializer(many=True, allow_empty=False),
    ],
    resource_type_field_name=None,
    many=False,
)
SUBMITTED = OneOrManyJobsField()
PROMOTED = JobSerializer(allow_null=True)
JOB_ID = OpenApiParameter("job_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
LIMIT = OpenApiParameter("limit", {"type": "integer", "minimum": 1, "maximum": 500})
QUEUE = OpenApiParameter(
    "queue", str, OpenApiParameter.PATH, enum=settings.JOB_QUEUES, description="a configured queue"
)
LIST_PARAMETERS = [
    OpenApiParameter(
        "status",
        str,
        description="one status or several, comma-separated: failed,cancelled "
        f"({', '.join(JobStatus.values)})",
    ),
    OpenApiParameter("type", str, description="a job type, e.g. uploads.import"),
    OpenApiParameter("queue", str, description="a queue, e.g. uploads"),
    OpenApiParameter(
        "source", str, description=f"where the job came from ({', '.join(JobSource.values)})"
    ),
    OpenApiParameter("priority", {"type": "integer", "minimum": 1, "maximum": 10}),
    OpenApiParameter("batch_id", str),
    OpenApiParameter("created_by", str, description="a username"),
    OpenApiParameter("created_after", OpenApiTypes.DATETIME),
    OpenApiParameter("created_before", OpenApiTypes.DATETIME),
    OpenApiParameter(
        "search",
        str,
        description="a job id or its first 8 or more characters, a batch id or a username "
        "(exact); other text also finds a job type, an upload's file name or an error message",
    ),
    OpenApiParameter("cursor", str, description="from `next` or `previous`"),
    OpenApiParameter(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": 500},
        description="jobs per page (50 by default)",
    ),
]


MAX_LIMIT = 500


def query_limit(request: Request, *, default: int) -> int:
    """`?limit=`, one rule for every list: a whole number from 1 to 500, else a 400."""
    raw = request.query_params.get("limit", str(default))
    if not re.fullmatch(r"[0-9]{1,4}", raw) or not 1 <= int(raw) <= MAX_LIMIT:
        message = f"must be a whole number from 1 to {MAX_LIMIT}"
        raise exceptions.ValidationError({"limit": message})
    return int(raw)


class JobCursor(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = MAX_LIMIT

    def get_page_size(self, request: Request) -> int:
        # DRF ignores a limit it cannot use; the other lists refuse it: one rule for all.
        return query_limit(request, default=self.page_size)

    def decode_cursor(self, request: Request) -> Any:
        # DRF answers a cursor it cannot read with 404; it is bad input, so 400 naming it.
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:
            raise exceptions.ValidationError(
                {"cursor": "not a cursor from this list's next or previous link"}
            ) from None


def submit_spec(payload: dict[str, Any]) -> services.JobSpec:
    return services.JobSpec(
        type=payload["type"],
        data=payload["data"],
        priority=payload.get("priority"),
        scheduled_at=payload.get("scheduled_at"),
        max_attempts=payload.get("max_attempts"),
        batch_id=payload.get("batch_id", ""),
    )


def job_id_or_404(raw: str) -> uuid.UUID:
    """The job id from the path; anything that is not a UUID names no job (404 in the envelope,
    where Django's uuid converter would answer with its HTML page)."""
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise exceptions.NotFound(f"no job with id {raw!r}") from None


class OneJobView(APIView):
    """A view on one job: a job the user may not see is 404 (its existence is not revealed)."""

    permission_classes = [JobAccess]

    def get_job(self, job_id: str) -> QueueJob:
        visible = selectors.job_visible_list(self.request.user)
        job = get_object_or_404(visible, pk=job_id_or_404(job_id))
        self.check_object_permissions(self.request, job)
        return job


class JobListView(APIView):
    throttle_scope = "submissions"

    def get_throttles(self) -> list[Any]:
        # Submissions are rationed (THROTTLE_SUBMISSIONS); reading the list is not.
        return super().get_throttles() if self.request.method == "POST" else []

    @envelope_schema(
        JobPageSerializer,
        name="JobPage",
        errors=[400],
        operation_id="queue_jobs_list",
        parameters=LIST_PARAMETERS,
        example={"results": [examples.JOB], "next": None, "previous": None},
    )
    def get(self, request: Request) -> Response:
        jobs = job_filter(request.query_params, user=request.user)
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

    @envelope_schema(
        SUBMITTED,
        name="SubmittedJobs",
        status=202,
        errors=[400, 403, 429],
        request=SUBMISSIONS,
        request_example=examples.SUBMISSION,
        example=examples.JOB,
        message="1 job(s) queued",
        idempotent=True,
    )
    @idempotent
    def post(self, request: Request) -> Response:
        many = isinstance(request.data, list)
        payload: serializers.Serializer | serializers.ListSerializer = (
            serializers.ListSerializer(
                child=JobSubmitSerializer(), max_length=settings.JOB_BATCH_MAX, data=request.data
            )
            if many
            else JobSubmitSerializer(data=request.data)
        )
        payload.is_valid(raise_exception=True)
        items = payload.validated_data if many else [payload.validated_data]
        specs = [submit_spec(item) for item in items]
        jobs = services.job_submit_batch(specs=specs, created_by=request.user, source=JobSource.API)
        data = JobSerializer(jobs, many=True).data if many else JobSerializer(jobs[0]).data
        return ok(data, message=f"{len(jobs)} job(s) queued", status_code=202)


class ItemsView(JobListView):
    """The job list under its seed-000 name; it lists only (submissions go to /jobs)."""

    http_method_names = ["get", "head", "options"]

    @envelope_schema(
        JobPageSerializer,
        name="JobPage",
        errors=[400],
        parameters=LIST_PARAMETERS,
        operation_id="queue_items_list",
        example={"results": [examples.JOB], "next": None, "previous": None},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


class JobDetailView(OneJobView):
    @envelope_schema(
        JobSerializer, name="Job", errors=[404], parameters=[JOB_ID], example=examples.JOB
    )
    def get(self, request: Request, job_id: str) -> Response:
        return ok(JobSerializer(self.get_job(job_id)).data)

    @envelope_schema(
        None, name="Deleted", errors=[403, 404, 409], parameters=[JOB_ID], message="job deleted"
    )
    def delete(self, request: Request, job_id: str) -> Response:
        services.job_delete(job=self.get_job(job_id), actor=request.user)
        return ok(None, message="job deleted")


class JobCancelView(OneJobView):
    @envelope_schema(
        JobSerializer,
        name="Job",
        errors=[403, 404, 409],
        example=examples.CANCELLED_JOB,
        message="job cancelled",
        parameters=[JOB_ID],
    )
    def post(self, request: Request, job_id: str) -> Response:
        job = services.job_cancel(job=self.get_job(job_id), actor=request.user)
        return ok(JobSerializer(job).data, message="job cancelled")


class JobRetryView(OneJobView):
    @envelope_schema(
        JobSerializer,
        name="Job",
        status=202,
        errors=[403, 404, 409, 429],
        example=examples.JOB,
        message="job queued again",
        parameters=[JOB_ID],
    )
    def post(self, request: Request, job_id: str) -> Response:
        job = services.job_retry(job=self.get_job(job_id), actor=request.user)
        return ok(JobSerializer(job).data, message="job queued again", status_code=202)


NO_FILTER = 'no filter given: to act on every job, send "all": true'


def _bulk_jobs(request: Request, *, default_status: str = "") -> QuerySet[QueueJob]:
    """The jobs a bulk action takes: the list's filters, in the same forms, from a JSON object.
    With no filter at all it takes every job only when asked with `"all": true`."""
    body = request.data if isinstance(request.data, dict) else None
    if body is None:
        raise exceptions.ValidationError({"filters": "send a JSON object of filters"})
    unknown = sorted(set(body) - {*FILTER_FIELDS, "all"})
    if unknown:
        raise exceptions.ValidationError(
            {unknown[0]: f"not a filter; filters: {', '.join(FILTER_FIELDS)}, all"}
        )
    criteria = BulkFilterSerializer(data=body)
    criteria.is_valid(raise_exception=True)
    wanted = {k: v for k, v in criteria.validated_data.items() if k != "all" and v != ""}
    if not wanted and not criteria.validated_data.get("all"):
        raise exceptions.ValidationError({"all": NO_FILTER})
    jobs = job_filter({"status": default_status, **wanted}, user=request.user)
    if not jobs.is_valid():
        raise exceptions.ValidationError(jobs.errors)
    return jobs.qs


class RetryFailedView(APIView):
    permission_classes = [QueueOperator]

    @envelope_schema(
        RetriedSerializer,
        name="Retried",
        status=202,
        errors=[400, 403, 429],
        request=BulkFilterSerializer,
        request_example={"queue": "default", "type": "system.fail"},
        example={"retried": 3},
        message="3 job(s) queued again",
    )
    def post(self, request: Request) -> Response:
        # Failed only, unless asked: cancelled jobs are retryable too, but not by this name.
        jobs = _bulk_jobs(request, default_status=JobStatus.FAILED)
        done = services.jobs_retry(jobs=jobs, actor=request.user)
        return ok({"retried": done}, message=f"{done} job(s) queued again", status_code=202)


class BulkCancelView(APIView):
    permission_classes = [QueueOperator]

    @envelope_schema(
        CancelledSerializer,
        name="Cancelled",
        errors=[400, 403],
        request=BulkFilterSerializer,
        request_example={"batch_id": "import-2025-05-01"},
        example={"cancelled": 12},
        message="12 job(s) cancelled",
    )
    def post(self, request: Request) -> Response:
        # jobs_cancel keeps the unfinished jobs of those that match: no default status here.
        done = services.jobs_cancel(jobs=_bulk_jobs(request), actor=request.user)
        return ok({"cancelled": done}, message=f"{done} job(s) cancelled")


class ClearCompletedView(APIView):
    permission_classes = [QueueOperator]

    @envelope_schema(
        DeletedSerializer,
        name="DeletedCount",
        errors=[400, 403],
        parameters=[
            OpenApiParameter(
                "older_than_hours",
                {"type": "number", "minimum": 0, "maximum": MAX_AGE_HOURS},
                description="only jobs finished at least this long ago (default 0)",
            )
        ],
        example={"deleted": 340},
        message="340 completed job(s) deleted",
    )
    def delete(self, request: Request) -> Response:
        age = AgeSerializer(data=request.query_params)
        age.is_valid(raise_exception=True)
        hours = age.validated_data["older_than_hours"]
        done = services.jobs_clear_completed(older_than=dt.timedelta(hours=hours))
        return ok({"deleted": done}, message=f"{done} completed job(s) deleted")


class StatsView(APIView):
    @envelope_schema(QueueStatsSerializer, name="QueueStats", example=examples.STATS)
    def get(self, request: Request) -> Response:
        return ok(selectors.queue_stats())


class WorkersView(APIView):
    @envelope_schema(WORKERS, name="Workers", example=[examples.WORKER])
    def get(self, request: Request) -> Response:
        return ok(WorkerSerializer(selectors.worker_list(), many=True).data)


class MetricsView(APIView):
    @envelope_schema(
        METRICS,
        name="Metrics",
        errors=[400],
        parameters=[
            OpenApiParameter("queue", str),
            OpenApiParameter("since", OpenApiTypes.DATETIME, description="ISO 8601"),
        ],
        example=[examples.METRIC],
    )
    def get(self, request: Request) -> Response:
        since = _since(request.query_params.get("since"))
        metrics = selectors.metric_list(queue=request.query_params.get("queue"), since=since)
        return ok(MetricSerializer(metrics, many=True).data)


def _since(raw: str | None) -> dt.datetime | None:
    if not raw:
        return None
    try:
        moment = parse_datetime(raw)
    except ValueError:  # well formed, but no such day or hour
        moment = None
    if moment is None:
        raise exceptions.ValidationError({"since": "must be an ISO 8601 time"})
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    try:
        return as_utc(moment)
    except DjangoValidationError:
        raise exceptions.ValidationError({"since": "this time is out of range"}) from None


# -- one queue's endpoints: the queue the path names, or the one they are wired to ------------
# (`as_view(queue="uploads")` where the path names none, as the bulk-upload API does)


class QueueSwitchView(APIView):
    permission_classes = [QueueOperator]
    paused = False
    queue = ""

    @envelope_schema(
        QueueSwitchSerializer,
        name="QueueSwitch",
        errors=[400, 403],
        example={"queue": "uploads", "paused": True},
        message="queue uploads paused",
        parameters=[QUEUE],
    )
    def post(self, request: Request, queue: str = "") -> Response:
        queue = queue or self.queue
        action = services.queue_pause if self.paused else services.queue_resume
        action(queue=queue, actor=request.user)
        return ok({"queue": queue, "paused": self.paused}, message=self.said(queue))

    def said(self, queue: str) -> str:
        return f"queue {queue} {'paused' if self.paused else 'resumed'}"


class QueueCountsView(APIView):
    queue = ""  # set where the URL is wired: as_view(queue=...)

    @envelope_schema(QueueCountsSerializer, name="QueueCounts", example=examples.COUNTS)
    def get(self, request: Request) -> Response:
        return ok(selectors.queue_counts(queue=self.queue))


class QueueJobsView(APIView):
    queue = ""  # set where the URL is wired; its newest jobs that the user may see

    @envelope_schema(JOBS, name="Jobs", errors=[400], parameters=[LIMIT], example=[examples.JOB])
    def get(self, request: Request) -> Response:
        jobs = job_filter({"queue": self.queue}, user=request.user).qs
        return ok(JobSerializer(jobs[: query_limit(request, default=20)], many=True).data)


# -- the seed-000 names, onto the same services -------------------------------------------------


class ProcessNextView(APIView):
    permission_classes = [QueueOperator]

    @envelope_schema(
        PROMOTED,
        name="PromotedJob",
        errors=[403],
        example=examples.JOB,
        message="job moved to the front",
    )
    def post(self, request: Request) -> Response:
        promoted = services.jobs_promote_next(count=1, actor=request.user)
        if not promoted:
            return ok(None, message="no waiting job")
        return ok(JobSerializer(promoted[0]).data, message="job moved to the front")


class ProcessBatchView(APIView):
    permission_classes = [QueueOperator]

    @envelope_schema(
        JOBS,
        name="Jobs",
        errors=[400, 403],
        request=BatchSizeSerializer,
        request_example={"size": 5},
        example=[examples.JOB],
        message="1 job(s) moved to the front",
    )
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

    @envelope_schema(
        SuspendedSerializer,
        name="Suspended",
        errors=[403],
        example={"suspended": True},
        message="processing stopped",
    )
    def post(self, request: Request) -> Response:
        action = services.processing_suspend if self.suspend else services.processing_resume
        action(actor=request.user)
        word = "stopped" if self.suspend else "started"
        return ok({"suspended": self.suspend}, message=f"processing {word}")


class WorkerStatusView(APIView):
    @envelope_schema(
        WorkerStatusSerializer,
        name="WorkerStatus",
        example={"suspended": False, "workers": [examples.WORKER]},
    )
    def get(self, request: Request) -> Response:
        workers = WorkerSerializer(selectors.worker_list(), many=True).data
        return ok({"suspended": selectors.processing_suspended(), "workers": workers})
