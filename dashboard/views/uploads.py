"""Uploads in the browser: a new upload followed live, the history and statistics, one upload's
result, and the downloads (each checks who may see the upload; nothing is served by path)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_POST

from dashboard import access
from dashboard.forms import ConfirmForm, UploadForm
from dashboard.paging import BadCursor, page_of
from jobs import roles
from jobs.errors import JobError
from jobs.lifecycle import FINISHED
from jobs.models import JobSource, JobStatus, QueueJob
from uploads import reports, selectors, services
from uploads.importers import IMPORT_TYPES, UnknownImportType, get_import_type
from uploads.models import Upload
from uploads.readers import FileRefused

ROW_ERRORS_SHOWN = 20


def _upload_or_404(user: Any, job_id: UUID) -> Upload:
    try:
        return selectors.upload_for_job(job_id, visible_to=user)
    except Upload.DoesNotExist:
        raise Http404("no such upload") from None


def _upload_to_act_on(request: HttpRequest, job_id: UUID) -> tuple[Upload, QueueJob]:
    """The upload and its job, when the user may act on that job (404 when the upload is not
    theirs to see, 403 when they may see but not change it), as the job pages rule."""
    upload = _upload_or_404(request.user, job_id)
    assert upload.job is not None
    access.require_job_action(request.user, upload.job)
    return upload, upload.job


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@login_required
def upload_new(request: HttpRequest) -> HttpResponse:
    """The upload page. With JavaScript the form is sent in the background and the page follows
    the job; without, the browser is sent to the upload's own page."""
    access.require_submit(request.user)
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST":
        upload, refusal, status = _create(request, form)
        if upload is not None and upload.job_id is not None:
            url = reverse("dashboard:upload-detail", args=[upload.job_id])
            if _wants_json(request):
                return JsonResponse({"job_id": str(upload.job_id), "url": url}, status=202)
            return redirect(url)
        if _wants_json(request):
            return JsonResponse({"error": refusal}, status=status)
    context = {"form": form, "max_bytes": _max_bytes(), "types": list(IMPORT_TYPES)}
    return render(request, "dashboard/uploads/new.html", context, status=200)


def _create(request: HttpRequest, form: UploadForm) -> tuple[Upload | None, str, int]:
    """The upload, or the refusal in words and its HTTP status."""
    if not form.is_valid():
        said = [
            f"{name.replace('_', ' ')}: {' '.join(str(e) for e in errs)}"
            for name, errs in form.errors.items()
        ]
        return None, "; ".join(said), 400
    data = form.cleaned_data
    file = data.pop("file")
    try:
        upload = services.upload_create(
            stream=file,
            original_name=file.name,
            uploaded_by=request.user,
            source=JobSource.DASHBOARD,
            **data,
        )
    except FileRefused as exc:
        form.add_error("file", str(exc))
        return None, str(exc), exc.status_code
    except (services.InvalidUpload, JobError) as exc:  # 400; a full queue 429, a priority 403
        form.add_error(None, str(exc))
        return None, str(exc), exc.status_code
    return upload, "", 202


def _max_bytes() -> int:
    return int(settings.UPLOAD_MAX_BYTES)


@login_required
def upload_list(request: HttpRequest) -> HttpResponse:
    """History (filters: type, status, uploader, date) and the statistics of the API."""
    chosen = {key: request.GET.get(key, "") for key in ("type", "status", "uploader", "since")}
    uploads = selectors.upload_history(
        visible_to=request.user,
        import_type=chosen["type"],
        status=chosen["status"],
        uploader=chosen["uploader"],
        since=_day(chosen["since"]),
    )
    try:
        page = page_of(
            uploads, column="created_at", descending=True, cursor=request.GET.get("cursor", "")
        )
    except BadCursor as exc:
        messages.error(request, str(exc))
        page = page_of(uploads, column="created_at", descending=True)
    context = {
        "page": page,
        "chosen": chosen,
        "stats": selectors.upload_statistics(visible_to=request.user),
        "types": list(IMPORT_TYPES),
        "statuses": JobStatus.choices,
    }
    return render(request, "dashboard/uploads/list.html", context)


def _day(text: str) -> dt.date | None:
    """A date typed as YYYY-MM-DD; anything else (31 February included) filters nothing."""
    try:
        return parse_date(text) if text else None
    except ValueError:
        return None


def _detail_context(request: HttpRequest, upload: Upload) -> dict[str, Any]:
    job = upload.job
    assert job is not None
    return {
        "upload": upload,
        "job": job,
        "row_errors": list(upload.errors.order_by("row_number", "id")[:ROW_ERRORS_SHOWN]),
        "finished": job.status in FINISHED,
        "may_act": roles.can_act_on_job(request.user, job),
        "confirm_form": ConfirmForm(user=request.user, current=job.priority),
    }


@login_required
def upload_detail(request: HttpRequest, job_id: UUID) -> HttpResponse:
    upload = _upload_or_404(request.user, job_id)
    return render(request, "dashboard/uploads/detail.html", _detail_context(request, upload))


@login_required
def upload_panel(request: HttpRequest, job_id: UUID) -> HttpResponse:
    """The progress and result part of the upload's page: the live client swaps it in."""
    upload = _upload_or_404(request.user, job_id)
    return render(request, "dashboard/uploads/panel.html", _detail_context(request, upload))


@login_required
@require_POST
def upload_confirm(request: HttpRequest, job_id: UUID) -> HttpResponse:
    """Import a dry run for real, as a new job."""
    upload, job = _upload_to_act_on(request, job_id)
    form = ConfirmForm(request.POST, user=request.user, current=job.priority)
    if not form.is_valid():
        messages.error(request, "Not confirmed: choose a priority your role allows.")
        return redirect("dashboard:upload-detail", job_id=job_id)
    try:
        confirmed = services.upload_confirm(
            upload=upload, actor=request.user, priority=form.cleaned_data["priority"]
        )
    except JobError as exc:
        messages.error(request, f"Not confirmed: {exc}.")
        return redirect("dashboard:upload-detail", job_id=job_id)
    messages.success(request, "Import of the dry run queued.")
    return redirect("dashboard:upload-detail", job_id=confirmed.job_id)


@login_required
@require_POST
def upload_cancel(request: HttpRequest, job_id: UUID) -> HttpResponse:
    upload, _job = _upload_to_act_on(request, job_id)
    try:
        services.upload_cancel(upload=upload, actor=request.user)
    except JobError as exc:
        messages.error(request, f"Not cancelled: {exc}.")
    else:
        messages.success(request, "Upload cancelled: the rows written so far stay.")
    return redirect("dashboard:upload-detail", job_id=job_id)


@login_required
def upload_report(request: HttpRequest, job_id: UUID) -> FileResponse:
    """The error report: the bad rows with their reasons, to fix and upload again."""
    upload = _upload_or_404(request.user, job_id)
    if not upload.error_report:
        raise Http404("this upload has no error report")
    return reports.error_report_download(upload)


@login_required
def upload_file(request: HttpRequest, job_id: UUID) -> FileResponse:
    """The file as it was uploaded."""
    upload = _upload_or_404(request.user, job_id)
    if not upload.file:
        raise Http404("the file of this upload was removed")
    return FileResponse(upload.file.open("rb"), as_attachment=True, filename=upload.original_name)


@login_required
def template_download(request: HttpRequest, import_type: str) -> HttpResponse:
    try:
        importer = get_import_type(import_type)
    except UnknownImportType:
        raise Http404("no such import type") from None
    return reports.template_download(importer)
