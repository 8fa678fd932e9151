"""The queues page: backlog by priority, pause and resume, retry all failed, clean, suspend."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from dashboard import access
from dashboard.forms import CleanForm
from jobs import selectors, services
from jobs.errors import JobError
from jobs.services.dispatch import configured_queues


@login_required
def queue_list(request: HttpRequest) -> HttpResponse:
    access.require_staff(request.user)
    stats = selectors.queue_stats()
    backlog = selectors.queue_backlog_by_priority()
    queues = [
        {
            "name": name,
            "stats": counts,
            "backlog": sorted(backlog.get(name, {}).items()),
            "limit": selectors.queue_max_waiting(name),
            "configured": name in configured_queues(),
        }
        for name, counts in stats["queues"].items()
    ]
    return render(
        request,
        "dashboard/queues.html",
        {
            "queues": queues,
            "suspended": selectors.processing_suspended(),
            "clean_form": CleanForm(queues=configured_queues()),
        },
    )


@login_required
@require_POST
def queue_switch(request: HttpRequest, queue: str, action: str) -> HttpResponse:
    """Pause or resume one queue."""
    access.require_operator(request.user)
    if action not in ("pause", "resume"):
        raise Http404("no such action")
    switch = services.queue_pause if action == "pause" else services.queue_resume
    try:
        switch(queue=queue, actor=request.user)
    except JobError as exc:
        messages.error(request, f"Not done: {exc}.")
    else:
        done = "paused: it starts nothing new" if action == "pause" else "resumed"
        messages.success(request, f"Queue {queue} {done}.")
    return redirect("dashboard:queues")


@login_required
@require_POST
def processing_switch(request: HttpRequest, action: str) -> HttpResponse:
    """Suspend or resume all processing (every queue)."""
    access.require_operator(request.user)
    if action not in ("suspend", "resume"):
        raise Http404("no such action")
    if action == "suspend":
        services.processing_suspend(actor=request.user)
        messages.success(request, "Processing suspended: no queue starts anything new.")
    else:
        services.processing_resume(actor=request.user)
        messages.success(request, "Processing resumed on every queue.")
    return redirect("dashboard:queues")


@login_required
@require_POST
def queue_retry_failed(request: HttpRequest, queue: str) -> HttpResponse:
    access.require_operator(request.user)
    outcome = services.queue_retry_failed(queue=queue, actor=request.user)
    messages.success(request, f"Queue {queue}: {outcome.summary()}")
    return redirect("dashboard:queues")


@login_required
def queue_clean(request: HttpRequest) -> HttpResponse:
    """Preview how many finished jobs a clean removes (GET), then remove them (POST)."""
    access.require_operator(request.user)
    form = CleanForm(request.POST or request.GET, queues=configured_queues())
    if not form.is_valid():
        return render(request, "dashboard/queues_clean.html", {"form": form, "count": None})
    if request.method != "POST" or not form.cleaned_data["confirmed"]:
        count = services.jobs_clean(**form.criteria(), dry_run=True)
        return render(request, "dashboard/queues_clean.html", {"form": form, "count": count})
    removed = services.jobs_clean(**form.criteria())
    messages.success(request, f"{removed:,} job{'' if removed == 1 else 's'} removed.")
    return redirect(reverse("dashboard:queues"))
