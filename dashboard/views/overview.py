from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dashboard.access import visible_jobs
from dashboard.charts import WINDOWS, metric_charts
from jobs import roles, selectors


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """Counts per queue and in all; for staff also workers, the oldest waiting job and charts."""
    window = request.GET.get("window", "1h")
    window = window if window in WINDOWS else "1h"
    sees_all = roles.can_see_all(request.user)
    stats = selectors.queue_stats(jobs=None if sees_all else visible_jobs(request.user))
    context: dict[str, Any] = {"stats": stats, "window": window, "windows": list(WINDOWS)}
    if sees_all:
        points = selectors.metric_series(window=WINDOWS[window])
        workers = list(selectors.worker_list())
        context.update(
            suspended=selectors.processing_suspended(),
            workers_alive=len(workers),
            workers_busy=sum(1 for w in workers if w.status == "busy"),
            oldest=selectors.oldest_waiting_seconds(),
            charts=metric_charts(points, window=WINDOWS[window]),
        )
    return render(request, "dashboard/overview.html", context)
