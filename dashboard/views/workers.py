from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from dashboard.access import require_staff
from jobs import selectors
from jobs.models import WorkerStatus

GONE = {WorkerStatus.STOPPED, WorkerStatus.DEAD}


@login_required
def worker_list(request: HttpRequest) -> HttpResponse:
    """Live workers first; stopped and dead ones apart, below."""
    require_staff(request.user)
    workers = list(selectors.worker_list(include_gone=True).select_related("current_job"))
    return render(
        request,
        "dashboard/workers.html",
        {
            "live": [w for w in workers if w.status not in GONE],
            "gone": [w for w in workers if w.status in GONE],
            "now": timezone.now(),
        },
    )
