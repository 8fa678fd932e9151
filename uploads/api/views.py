"""The seeds' bulk-upload API (/api/v1/bulk-upload/...), on the upload and job services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import FileResponse, HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.parsers import FormParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from jobs import services as job_services
from jobs.api import examples
from jobs.api import views as job_views
from jobs.api.idempotency import idempotent
from jobs.api.permissions import QueueOperator
from jobs.api.serializers import QueueSwitchSerializer
from jobs.api.views import JOB_ID, LIMIT, job_id_or_404, query_limit
from queueproject.api.envelope import ok
from queueproject.api.parsers import JSONParser, MultiPartParser
from queueproject.api.schema import envelope_schema, error_response
from uploads import selectors, services
from uploads.api.serializers import (
    CleanedSerializer,
    CleanSerializer,
    UploadConfirmRequestSerializer,
    UploadFileRequestSerializer,
    UploadQueuedSerializer,
    UploadRecordsRequestSerializer,
    UploadRequestSerializer,
    UploadStatisticsSerializer,
    UploadStatusSerializer,
)
from uploads.importers import IMPORT_TYPES, UnknownImportType, get_import_type
from uploads.importing import IMPORT_QUEUE
from uploads.models import Upload
from uploads.reports import XLSX, error_report_check, error_report_download, template_download

UPLOADS = UploadStatusSerializer(many=True)
TYPES = sorted(IMPORT_TYPES)
STATUS_EXAMPLE = {
    "job_id": examples.JOB_ID,
    "status": "completed",
    "file_name": "members.xlsx",
    "import_type": "members",
    "mode": "upsert",
    "policy": "skip_invalid",
    "dry_run": True,
    "uploaded_by": "admin",
    "priority": 1,
    "attempts": 1,
    "progress": {
        "percent": 100.0,
        "stage": "done",
        "message": "2 valid, 1 invalid",
        "processed": 3,
        "total": 3,
    },
    "validation_stats": {"total_rows": 3, "valid_rows": 2, "invalid_rows": 1, "duplicate_rows": 0},
    "database_stats": {"created": 1, "updated": 1, "unchanged": 0, "failed": 0},
    "dry_run_job_id": None,
    "confirmed_job_id": None,
    "processing_duration_ms": 84,
    "error_report_url": f"/api/v1/bulk-upload/errors/{examples.JOB_ID}",
    "error_message": "",
    "created_at": "2025-05-01T08:30:00.123Z",
    "started_at": "2025-05-01T08:30:00.200Z",
    "completed_at": "2025-05-01T08:30:00.284Z",
}
CONFIRMED_EXAMPLE = {
    **STATUS_EXAMPLE,
    "job_id": "6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f",
    "status": "waiting",
    "dry_run": False,
    "dry_run_job_id": examples.JOB_ID,
    "confirmed_job_id": None,
    "progress": {"percent": 0.0, "stage": "", "message": "", "processed": 0, "total": 0},
    "validation_stats": {},
    "database_stats": {},
    "processing_duration_ms": None,
    "error_report_url": None,
    "started_at": None,
    "completed_at": None,
}
QUEUED_EXAMPLE = {
    "job_id": examples.JOB_ID,
    "status": "waiting",
    "file_name": "members.xlsx",
    "message": "dry run queued",
}
RECORDS_EXAMPLE = {
    "import_type": "devices",
    "records": [{"imei": "490154203237518", "brand": "Nokia", "model": "3310", "status": "active"}],
}


def file_schema(errors: list[int], parameters: list[OpenApiParameter]):  # type: ignore[no-untyped-def]
    """A download: the xlsx itself, or the error envelope."""
    responses: dict[Any, Any] = {(200, XLSX): OpenApiResponse(bytes, description="an xlsx file")}
    responses.update({code: error_response(code) for code in sorted({401, *errors})})
    return extend_schema(responses=responses, parameters=parameters)


class UploadView(job_views.OneJobView):
    """A view on one upload, found by its job id, with the queue API's rule for one job: an
    upload the user may not see is 404, and acting on it needs the right to act on its job."""

    def get_upload(self, job_id: str) -> Upload:
        try:
            upload = selectors.upload_for_job(job_id_or_404(job_id), visible_to=self.request.user)
        except Upload.DoesNotExist:
            raise exceptions.NotFound(f"no upload with job id {job_id}") from None
        assert upload.job is not None
        self.check_object_permissions(self.request, upload.job)
        return upload

    def status(self, upload: Upload, *, message: str | None = None, code: int = 200) -> Response:
        data = UploadStatusSerializer(upload, context={"request": self.request}).data
        return ok(data, message=message, status_code=code)

    def status_after(self, upload: Upload, *, message: str, code: int = 200) -> Response:
        """The status after a service acted: it changed the job with UPDATEs (a confirm queues a
        new one), so read the upload again, with its job and uploader in the same query."""
        return self.status(selectors.upload_list().get(pk=upload.pk), message=message, code=code)


class ProcessView(APIView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    throttle_scope = "uploads"

    @envelope_schema(
        UploadQueuedSerializer,
        name="UploadQueued",
        status=202,
        errors=[400, 403, 413, 415, 429],
        request={
            "multipart/form-data": UploadFileRequestSerializer,
            "application/json": UploadRecordsRequestSerializer,
        },
        request_example=RECORDS_EXAMPLE,
        example=QUEUED_EXAMPLE,
        message="dry run queued",
        idempotent=True,
    )
    @idempotent
    def post(self, request: Request) -> Response:
        form = UploadRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        options = dict(form.validated_data)
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
    @envelope_schema(
        UploadStatusSerializer,
        name="UploadStatus",
        errors=[404],
        parameters=[JOB_ID],
        example=STATUS_EXAMPLE,
    )
    def get(self, request: Request, job_id: str) -> Response:
        return self.status(self.get_upload(job_id))


class ConfirmView(UploadView):
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @envelope_schema(
        UploadStatusSerializer,
        name="UploadStatus",
        status=202,
        errors=[400, 403, 404, 409, 429],
        request=UploadConfirmRequestSerializer,
        request_example={"priority": 5},
        example=CONFIRMED_EXAMPLE,
        message="import of the dry run queued",
        parameters=[JOB_ID],
    )
    def post(self, request: Request, job_id: str) -> Response:
        form = UploadConfirmRequestSerializer(data=request.data or {})
        form.is_valid(raise_exception=True)
        upload = services.upload_confirm(
            upload=self.get_upload(job_id),
            actor=request.user,
            priority=form.validated_data.get("priority"),
        )
        return self.status_after(upload, message="import of the dry run queued", code=202)


class CancelView(UploadView):
    @envelope_schema(
        UploadStatusSerializer,
        name="UploadStatus",
        errors=[403, 404, 409],
        example={**STATUS_EXAMPLE, "status": "cancelled"},
        message="upload cancelled",
        parameters=[JOB_ID],
    )
    def post(self, request: Request, job_id: str) -> Response:
        upload = services.upload_cancel(upload=self.get_upload(job_id), actor=request.user)
        return self.status_after(upload, message="upload cancelled")


class ErrorsView(UploadView):
    @file_schema(errors=[404, 409], parameters=[JOB_ID])
    def get(self, request: Request, job_id: str) -> FileResponse:
        upload = self.get_upload(job_id)
        error_report_check(upload)
        if not upload.error_report:
            raise exceptions.NotFound("this upload has no error report: it had no bad rows")
        return error_report_download(upload)


class TemplateView(APIView):
    @file_schema(
        errors=[404],
        parameters=[OpenApiParameter("import_type", str, OpenApiParameter.PATH, enum=TYPES)],
    )
    def get(self, request: Request, import_type: str) -> HttpResponse:
        try:
            importer = get_import_type(import_type)
        except UnknownImportType as exc:
            raise exceptions.NotFound(str(exc)) from None
        return template_download(importer)


class HistoryView(APIView):
    @envelope_schema(
        UPLOADS, name="Uploads", errors=[400], parameters=[LIMIT], example=[STATUS_EXAMPLE]
    )
    def get(self, request: Request) -> Response:
        limit = query_limit(request, default=50)
        uploads = selectors.upload_history(visible_to=request.user)
        data = UploadStatusSerializer(uploads[:limit], many=True, context={"request": request})
        return ok(data.data)


class StatisticsView(APIView):
    @envelope_schema(
        UploadStatisticsSerializer,
        name="UploadStatistics",
        example={
            "total_uploads": 3,
            "by_status": {"completed": 2, "failed": 1},
            "by_import_type": {"members": 2, "devices": 1},
            "by_uploader": {"thandi": 2, "pieter": 1},
            "rows_processed": 1500,
            "rows_created": 1480,
            "bytes_uploaded": 120400,
        },
    )
    def get(self, request: Request) -> Response:
        return ok(selectors.upload_statistics(visible_to=request.user))


class QueueRetryView(UploadView):
    @envelope_schema(
        UploadStatusSerializer,
        name="UploadStatus",
        status=202,
        errors=[403, 404, 409, 429],
        example={**STATUS_EXAMPLE, "status": "waiting"},
        message="upload queued again",
        parameters=[JOB_ID],
    )
    def post(self, request: Request, job_id: str) -> Response:
        upload = self.get_upload(job_id)
        assert upload.job is not None
        job_services.job_retry(job=upload.job, actor=request.user)
        return self.status_after(upload, message="upload queued again", code=202)


class QueueCleanView(APIView):
    permission_classes = [QueueOperator]

    @envelope_schema(
        CleanedSerializer,
        name="Cleaned",
        errors=[400, 403],
        request=CleanSerializer,
        request_example={"gracePeriodHours": 24},
        example={"cleaned": 12},
        message="12 finished upload job(s) removed",
    )
    def post(self, request: Request) -> Response:
        form = CleanSerializer(data=request.data or {})
        form.is_valid(raise_exception=True)
        hours = form.validated_data["gracePeriodHours"]
        done = job_services.queue_clean(queue=IMPORT_QUEUE, older_than=dt.timedelta(hours=hours))
        return ok({"cleaned": done}, message=f"{done} finished upload job(s) removed")


class QueueSwitchView(job_views.QueueSwitchView):
    queue = IMPORT_QUEUE  # the queue API's pause and resume, where the path names no queue

    @envelope_schema(
        QueueSwitchSerializer,
        name="QueueSwitch",
        errors=[403],
        example={"queue": IMPORT_QUEUE, "paused": True},
        message="upload queue paused",
    )
    def post(self, request: Request, queue: str = "") -> Response:
        return super().post(request, queue)

    def said(self, queue: str) -> str:
        return f"upload queue {'paused' if self.paused else 'resumed'}"
