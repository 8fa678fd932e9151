"""django-rq's own views under /django-rq/, for superusers only.

They show and act on RQ's queues directly (empty a queue, stop or requeue a job), bypassing the
ledger: a queue_viewer or operator who could use them would change jobs behind the ledger's back.
The dashboard and the API are the way to act on jobs; these are a superuser's diagnostic tool."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern
from django_rq.urls import get_admin_urlpatterns, get_api_urlpatterns

View = Callable[..., HttpResponse]


def superuser_only(view: View) -> View:
    """Anonymous visitors go to the sign-in page; users who are not superusers get 403."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_superuser:
            raise PermissionDenied("django-rq's views are for superusers only")
        return view(request, *args, **kwargs)

    return guarded


def _guarded(patterns: list[URLPattern]) -> list[URLPattern]:
    for pattern in patterns:
        pattern.callback = superuser_only(pattern.callback)
    return patterns


app_name = "django_rq"
urlpatterns = _guarded(get_api_urlpatterns()) + get_admin_urlpatterns(view_wrapper=superuser_only)
