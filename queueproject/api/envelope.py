"""The API's envelope: `{"success": true, "message"?, "data"}` and, for every error,
`{"success": false, "error": {"code", "message", "details"?}}`. No input ever yields a 500."""

from __future__ import annotations

import logging
import math
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from queueproject.errors import ServiceError

logger = logging.getLogger("queueproject.api")

DRF_CODES = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "forbidden",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.ParseError: "malformed_request",
    exceptions.Throttled: "throttled",
    exceptions.NotAcceptable: "not_acceptable",
}


def ok(data: Any, *, message: str | None = None, status_code: int = 200) -> Response:
    body: dict[str, Any] = {"success": True}
    if message:
        body["message"] = message
    body["data"] = data
    return Response(body, status=status_code)


def error(
    code: str,
    message: str,
    status_code: int,
    details: Any = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return Response({"success": False, "error": body}, status=status_code, headers=headers)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    set_rollback()
    if isinstance(exc, exceptions.ValidationError):
        return error("invalid", _first_message(exc.detail), 400, details=exc.detail)
    if isinstance(exc, ServiceError):  # each app's error names its own status and code
        details, headers = exc.details(), exc.headers()
        return error(exc.code, str(exc), exc.status_code, details=details, headers=headers)
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        message = f"request body too large: at most {limit} bytes (send files as multipart)"
        return error("too_large", message, 413)
    if isinstance(exc, TooManyFieldsSent):
        return error("malformed_request", "too many form fields in the request", 400)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.APIException):
        return _drf_error(exc)
    logger.exception("unhandled error in %s", context.get("view"))
    return error("server_error", "an unexpected error occurred; it has been logged", 500)


def _drf_error(exc: exceptions.APIException) -> Response:
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = str(exc.auth_header)  # type: ignore[attr-defined]
    if isinstance(exc, exceptions.Throttled):
        # Rounded up: a client told "0" would retry at once and be refused again.
        headers["Retry-After"] = str(math.ceil(getattr(exc, "wait", None) or 1))
    code = next((c for cls, c in DRF_CODES.items() if isinstance(exc, cls)), "error")
    status_code = exc.status_code
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        status_code = status.HTTP_401_UNAUTHORIZED
    return error(code, _first_message(exc.detail), status_code, headers=headers)


def _first_message(detail: Any, path: str = "") -> str:
    """The first error, naming its field: `priority: Ensure this value is ... 10.`"""
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = key if key != "non_field_errors" else ""
            return _first_message(value, f"{path}.{name}" if path and name else name or path)
    if isinstance(detail, list) and detail:
        for index, item in enumerate(detail):
            if item:
                inner = path if not isinstance(item, (dict, list)) else f"{path}[{index}]"
                return _first_message(item, inner)
    text = str(detail)
    return f"{path}: {text}" if path else text
