"""The seeds' bulk-upload API (/api/v1/bulk-upload/...), on the upload and job services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import FileResponse, HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from jobs import selectors as job_selectors
from jobs import services as job_services
from jobs.api.envelope import ok
from jobs.api.permissions import JobAccess, QueueOperator, allowed_priority
from jobs.api.serializers import JobSerializer
from jobs.models import JobStatus
from uploads import selectors, services
from uploads.api.serializers import UploadRequestSerializer, UploadStatusSerializer
from uploads.importers import UnknownImportType, get_import_type
from uploads.models import Upload
from uploads.reports import template_build

QUEUE = "uploads"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class UploadView(APIView):
    """A view on one upload, found by its job id; an upload the user may not see is 404."""

    permission_classes = [JobAccess]

    def get_upload(self, job_id: Any) -> Upload:
        try:
            upload = selectors.upload_for_job(job_id, visible_to=self.request.user)
        except Upload.DoesNotExist:
            raise exceptions.NotFound(f"no upload with job id {job_id}") from None
        assert upload.job is not None
        self.check_object_permissions(self.request, upload.job)
        return upload

    def status(self, upload: Upload, *, message: str | None = None, code: int = 200) -> Response:
        upload.refresh_from_db()
        data = UploadStatusSerializer(upload, context={"request": self.request}).data
        return ok(data, message=message, status_code=code)


class ProcessView(APIView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    throttle_scope = "uploads"

    @extend_schema(request=UploadRequestSerializer, responses={202: dict})
    def post(self, request: Request) -> Response:
        form = UploadRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        options = dict(form.validated_data)
        options["priority"] = allowed_priority(request.user, options.get("priority"))
        file, records = options.pop("file", None), options.pop("records", None)
        if file is not None:
            upload = services.upload_create(
                stream=file, original_name=file.name, uploaded_by=request.user, **options
            )
        else:
            upload = services.upload_create_from_records(
                records=records, uploaded_by=request.user, **options
            )
        assert upload.job is not None
        upload.job.refresh_from_db()
        message = "dry run queued" if upload.dry_run else "upload queued for import"
        return ok(
            {
                "job_id": str(upload.job.pk),
                "status": upload.job.status,
                "file_name": upload.original_name,
                "message": message,
            },
            message=message,
            status_code=202,
        )


class StatusView(UploadView):
    @extend_schema(responses=UploadStatusSerializer)
    def get(self, request: Request, job_id: str) -> Response:
        return self.status(self.get_upload(job_id))


class ConfirmView(UploadView):
    @extend_schema(request=None, responses={202: UploadStatusSerializer})
    def post(self, request: Request, job_id: str) -> Response:
        upload = services.upload_confirm(upload=self.get_upload(job_id), actor=request.user)
        return self.status(upload, message="import of the dry run queued", code=202)


class CancelView(UploadView):
    @extend_schema(request=None, responses=UploadStatusSerializer)
    def post(self, request: Request, job_id: str) -> Response:
        upload = services.upload_cancel(upload=self.get_upload(job_id), actor=request.user)
        return self.status(upload, message="upload cancelled")


class ErrorsView(UploadView):
    @extend_schema(responses={(200, XLSX): bytes})
    def get(self, request: Request, job_id: str) -> FileResponse:
        upload = self.get_upload(job_id)
        if not upload.error_report:
            raise exceptions.NotFound(
                "this upload has no error report (no bad rows, or not processed yet)"
            )
        name = f"{upload.original_name.rsplit('.', 1)[0]}-errors.xlsx"
        return FileResponse(
            upload.error_report.open("rb"), as_attachment=True, filename=name, content_type=XLSX
        )


class TemplateView(APIView):
    @extend_schema(responses={(200, XLSX): bytes})
    def get(self, request: Request, import_type: str) -> HttpResponse:
        try:
            importer = get_import_type(import_type)
        except UnknownImportType as exc:
            raise exceptions.NotFound(str(exc)) from None
        response = HttpResponse(template_build(importer), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{import_type}-template.xlsx"'
        return response


class HistoryView(APIView):
    @extend_schema(responses=UploadStatusSerializer(many=True))
    def get(self, request: Request) -> Response:
        limit = _limit(request, default=50)
        uploads = selectors.upload_list(visible_to=request.user).filter(job__isnull=False)
        data = UploadStatusSerializer(uploads[:limit], many=True, context={"request": request})
        return ok(data.data)


class StatisticsView(APIView):
    @extend_schema(responses=dict)
    def get(self, request: Request) -> Response:
        return ok(selectors.upload_statistics(visible_to=request.user))


class QueueStatsView(APIView):
    @extend_schema(responses=dict)
    def get(self, request: Request) -> Response:
        stats = job_selectors.queue_stats()["queues"][QUEUE]
        return ok({k: v for k, v in stats.items() if k != "is_paused"})


class QueueJobsView(APIView):
    @extend_schema(responses=JobSerializer(many=True))
    def get(self, request: Request) -> Response:
        jobs = job_selectors.job_list(queue=QUEUE, visible_to=request.user)
        return ok(JobSerializer(jobs[: _limit(request, default=20)], many=True).data)


class QueueRetryView(UploadView):
    @extend_schema(request=None, responses={202: UploadStatusSerializer})
    def post(self, request: Request, job_id: str) -> Response:
        upload = self.get_upload(job_id)
        assert upload.job is not None
        job_services.job_retry(job=upload.job, actor=request.user)
        return self.status(upload, message="upload queued again", code=202)


class CleanSerializer(serializers.Serializer):
    gracePeriodHours = serializers.FloatField(min_value=0, default=24)


class QueueCleanView(APIView):
    permission_classes = [QueueOperator]

    @extend_schema(request=CleanSerializer, responses=dict)
    def post(self, request: Request) -> Response:
        form = CleanSerializer(data=request.data or {})
        form.is_valid(raise_exception=True)
        hours = form.validated_data["gracePeriodHours"]
        done = job_services.jobs_clean(
            older_than=dt.timedelta(hours=hours),
            queue=QUEUE,
            statuses=[JobStatus.COMPLETED, JobStatus.FAILED],
        )
        return ok({"cleaned": done}, message=f"{done} finished upload job(s) removed")


class QueueSwitchView(APIView):
    permission_classes = [QueueOperator]
    paused = False

    @extend_schema(request=None, responses=dict)
    def post(self, request: Request) -> Response:
        action = job_services.queue_pause if self.paused else job_services.queue_resume
        action(queue=QUEUE, actor=request.user)
        return ok(
            {"queue": QUEUE, "paused": self.paused},
            message=f"upload queue {'paused' if self.paused else 'resumed'}",
        )


def _limit(request: Request, *, default: int) -> int:
    raw = request.query_params.get("limit", str(default))
    if not raw.isdigit() or not 1 <= int(raw) <= 500:
        raise exceptions.ValidationError({"limit": "must be a whole number from 1 to 500"})
    return int(raw)
