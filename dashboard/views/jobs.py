"""The jobs list, one job's page, the job panel, and the actions on jobs."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from dashboard import access
from dashboard.forms import BulkActionForm, JobSubmitForm
from dashboard.paging import BadCursor, page_of
from jobs import roles, selectors, services
from jobs.errors import JobError
from jobs.filters import JobFilter, job_filter
from jobs.models import JobSource, JobStatus, QueueJob
from jobs.registry import job_types
from jobs.services.control import JOB_ACTIONS, job_actions_allowed
from jobs.services.dispatch import configured_queues

COUNT_CAP = 10_000
SORTS = {
    "-created": ("created_at", True),
    "created": ("created_at", False),
    "-started": ("started_at", True),
    "started": ("started_at", False),
    "-completed": ("completed_at", True),
    "completed": ("completed_at", False),
    "priority": ("priority", False),
    "-priority": ("priority", True),
}
SORT_LABELS = [
    ("-created", "Newest first"),
    ("created", "Oldest first"),
    ("-started", "Started, latest first"),
    ("started", "Started, earliest first"),
    ("-completed", "Completed, latest first"),
    ("completed", "Completed, earliest first"),
    ("priority", "Priority, highest first"),
    ("-priority", "Priority, lowest first"),
]


def _filtered(user: object, query: QueryDict) -> JobFilter:
    return job_filter(query, user=user)


@login_required
def job_list(request: HttpRequest) -> HttpResponse:
    """Filters, search, sort, cursor pages and the size of the filtered set."""
    filterset = _filtered(request.user, request.GET)
    sort = request.GET.get("sort", "-created")
    column, descending = SORTS.get(sort, SORTS["-created"])
    context = {
        "filterset": filterset,
        "sort": sort if sort in SORTS else "-created",
        "sort_choices": SORT_LABELS,
        "statuses": JobStatus.choices,
        "queues": configured_queues(),
        "types": [t.key for t in job_types()],
        "priorities": range(1, 11),
        "sources": JobSource.choices,
        "ticked": ",".join(request.GET.getlist("status")).split(","),
        "query": request.GET.urlencode(),
    }
    if filterset.is_valid():
        jobs = filterset.qs
        try:
            page = page_of(
                jobs, column=column, descending=descending, cursor=request.GET.get("cursor", "")
            )
        except BadCursor as exc:
            messages.error(request, str(exc))
            page = page_of(jobs, column=column, descending=descending)
        count = selectors.job_count_capped(jobs, cap=COUNT_CAP)
        context.update(page=page, count=count, count_cap=COUNT_CAP)
    return render(request, "dashboard/jobs/list.html", context)


@login_required
def job_row(request: HttpRequest, job_id: UUID) -> HttpResponse:
    """One row of the list, as the list renders it: the live client swaps it in."""
    job = access.job_or_404(request.user, job_id)
    selectable = roles.can_operate(request.user)
    return render(
        request, "dashboard/partials/job_row.html", {"job": job, "selectable": selectable}
    )


@login_required
def job_detail(request: HttpRequest, job_id: UUID) -> HttpResponse:
    job = access.job_or_404(request.user, job_id)
    events = selectors.job_events(job)
    return render(
        request,
        "dashboard/jobs/detail.html",
        {
            "job": job,
            "events": events,
            "attempts": selectors.job_attempts(events),
            "upload": getattr(job, "upload", None) if job.type.startswith("uploads.") else None,
            "actions": job_actions_allowed(request.user, job),
        },
    )


@login_required
def job_action(request: HttpRequest, job_id: UUID, action: str) -> HttpResponse:
    """A confirmation page (GET), then the action (POST)."""
    if action not in JOB_ACTIONS:
        raise Http404("no such action")
    job = access.job_or_404(request.user, job_id)
    access.require_job_action(request.user, job)
    if request.method != "POST":
        return render(request, "dashboard/jobs/confirm_one.html", {"job": job, "action": action})
    try:
        done = services.job_act(action=action, job=job, actor=request.user)
    except (JobError, QueueJob.DoesNotExist) as exc:
        messages.error(request, f"Not done: {exc}.")
        return redirect("dashboard:job-detail", job_id=job.pk)
    messages.success(request, f"Job {str(job.pk)[:8]} {done}.")
    if action == "delete":
        return redirect("dashboard:jobs")
    return redirect("dashboard:job-detail", job_id=job.pk)


@login_required
@require_POST
def job_bulk(request: HttpRequest) -> HttpResponse:
    """Retry, cancel or delete the selected jobs or all that match the list's filter: first a
    confirmation naming the count, then the action and a message saying what it did."""
    access.require_operator(request.user)
    form = BulkActionForm(request.POST)
    back = reverse("dashboard:jobs") + "?" + request.POST.get("q", "")
    if not form.is_valid():
        for error in form.non_field_errors() or ["This action could not be read."]:
            messages.error(request, str(error))
        return redirect(back)
    data = form.cleaned_data
    filterset = _filtered(request.user, QueryDict(data["q"]))
    if not filterset.is_valid():
        messages.error(request, "The list's filter is not valid: nothing was done.")
        return redirect(back)
    jobs = filterset.qs if data["scope"] == "all" else filterset.qs.filter(pk__in=data["ids"])
    if not data["confirmed"]:
        preview = services.jobs_act_preview(action=data["action"], jobs=jobs)
        context = {
            "form": form,
            "bulk": preview.action,
            "total": preview.total,
            "applies": preview.applies,
            "skipped": preview.skipped,
            "allowed": sorted(preview.action.applies_to),
            "back": back,
            "ids": data["ids"],
        }
        return render(request, "dashboard/jobs/confirm_bulk.html", context)
    outcome = services.jobs_act(action=data["action"], jobs=jobs, actor=request.user)
    messages.success(request, outcome.summary())
    return redirect(back)


@login_required
def job_new(request: HttpRequest) -> HttpResponse:
    """The job panel: submit or schedule a job of any type clients may submit."""
    access.require_submit(request.user)
    form = JobSubmitForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.job_submit(
                spec=form.spec(), created_by=request.user, source=JobSource.DASHBOARD
            )
        except JobError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, f"Job {str(job.pk)[:8]} submitted ({job.get_status_display().lower()})."
            )
            return redirect(reverse("dashboard:jobs") + f"?search={job.pk}")
    return render(request, "dashboard/jobs/new.html", {"form": form})
