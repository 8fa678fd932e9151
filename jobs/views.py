"""GET /metrics: the Prometheus exposition, for a scraper holding METRICS_TOKEN or a staff session.

With no METRICS_TOKEN configured only staff sessions are let in: the numbers describe the whole
system, so they are never public by default.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from jobs import prometheus

TEXT = "text/plain; charset=utf-8"


def _bearer_token(request: HttpRequest) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def _refusal(request: HttpRequest) -> HttpResponse | None:
    """None when the request may read the metrics, else the 401 or 403 that says why not."""
    configured = settings.METRICS_TOKEN
    offered = _bearer_token(request)
    if configured and offered and hmac.compare_digest(offered.encode(), configured.encode()):
        return None
    if request.user.is_authenticated and request.user.is_staff:
        return None
    if offered is not None:
        reason = (
            "invalid metrics token"
            if configured
            else "token access to /metrics is off (METRICS_TOKEN is not set): sign in as staff"
        )
        return _unauthorized(reason)
    if request.user.is_authenticated:
        return HttpResponse("only staff may read /metrics\n", status=403, content_type=TEXT)
    return _unauthorized(
        "authentication required: send 'Authorization: Bearer <METRICS_TOKEN>' or sign in as staff"
    )


def _unauthorized(reason: str) -> HttpResponse:
    response = HttpResponse(reason + "\n", status=401, content_type=TEXT)
    response["WWW-Authenticate"] = 'Bearer realm="metrics"'
    return response


@never_cache
@require_safe
def prometheus_metrics(request: HttpRequest) -> HttpResponse:
    refusal = _refusal(request)
    if refusal is not None:
        return refusal
    return HttpResponse(prometheus.metrics_text(), content_type=prometheus.CONTENT_TYPE)
