"""Project-wide middleware."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

Handler = Callable[[HttpRequest], HttpResponse]


def refuse_nul_in_query(get_response: Handler) -> Handler:
    """A NUL in a query parameter is a 400 naming the parameter, before any view reads it:
    PostgreSQL cannot compare text with a NUL, and no filter needs one."""

    def middleware(request: HttpRequest) -> HttpResponse:
        for name, values in request.GET.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                return _refusal(request, name.replace("\x00", "\\u0000"))
        return get_response(request)

    return middleware


def _refusal(request: HttpRequest, name: str) -> HttpResponse:
    message = f"{name}: a query parameter must not contain a NUL character (%00)"
    if request.path.startswith("/api/"):
        body = {"success": False, "error": {"code": "invalid", "message": message}}
        return JsonResponse(body, status=400)
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
