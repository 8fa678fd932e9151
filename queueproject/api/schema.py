"""The OpenAPI description of the envelope.

Every view declares its answers with `envelope_schema(...)`: the data it sends on success and the
error statuses it can answer with. The helper wraps the data in `{"success": true, "message"?,
"data"}`, adds the error envelope for each error status (401 for every operation: all of them
need credentials) and the examples, so the schema says exactly what a client receives.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers

from queueproject.api.idempotency import IDEMPOTENCY_KEY


# The constant values sit in an allOf so that drf-spectacular's enum hook leaves them inline
# instead of extracting (and misnaming) one-value enum components.
@extend_schema_field({"type": "boolean", "allOf": [{"enum": [True]}], "description": "true"})
class SucceededField(serializers.BooleanField):
    pass


@extend_schema_field({"type": "boolean", "allOf": [{"enum": [False]}], "description": "false"})
class FailedField(serializers.BooleanField):
    pass


@extend_schema_field({"nullable": True, "allOf": [{"enum": [None]}], "description": "null"})
class NullField(serializers.Field):
    """`data` of an answer that has nothing to return (a deletion)."""


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="stable, machine-readable: invalid, not_found, ...")
    message = serializers.CharField(help_text="for people; names the field when input is wrong")
    details = serializers.JSONField(
        required=False, help_text="field errors, or the job's current status and allowed ones"
    )


class ErrorEnvelopeSerializer(serializers.Serializer):
    success = FailedField()
    error = ErrorSerializer()


ERRORS: dict[int, tuple[str, str, str]] = {
    400: ("invalid", "type: This field is required.", "invalid input (the message names it)"),
    401: (
        "not_authenticated",
        "Authentication credentials were not provided.",
        "no credentials, or a token that is not valid",
    ),
    403: ("forbidden", "only queue operators may do this (group queue_operator)", "not allowed"),
    404: ("not_found", "Not found.", "unknown, or not yours"),
    409: (
        "invalid_state",
        "cannot cancel a job that is completed (allowed from: active, pending, scheduled, waiting)",
        "not allowed in the job's current state",
    ),
    413: ("too_large", "the file is larger than the limit of 100.0 MB", "file too large"),
    415: (
        "unsupported_type",
        "this is not an xlsx or CSV file",
        "unsupported file type or encoding",
    ),
    429: (
        "throttled",
        "Request was throttled. Expected available in 12 seconds.",
        "throttled, or the queue is full (see Retry-After)",
    ),
}
RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    OpenApiTypes.INT,
    location=OpenApiParameter.HEADER,
    response=[429],
    description="seconds to wait before trying again",
)


def error_response(status: int) -> OpenApiResponse:
    code, message, description = ERRORS[status]
    example = {"success": False, "error": {"code": code, "message": message}}
    return OpenApiResponse(
        ErrorEnvelopeSerializer,
        description=description,
        examples=[OpenApiExample(code, value=example, status_codes=[status], response_only=True)],
    )


_ENVELOPES: dict[str, serializers.Serializer] = {}


def enveloped(data: Any, *, name: str) -> serializers.Serializer:
    """The component `<name>Envelope`: `data` (a serializer, a field, or None for null) inside
    the success envelope. One per name, so every operation answering that shape shares it."""
    if name not in _ENVELOPES:
        fields: dict[str, serializers.Field] = {
            "success": SucceededField(),
            "message": serializers.CharField(required=False),
            "data": NullField() if data is None else _instance(data),
        }
        _ENVELOPES[name] = inline_serializer(name=f"{name}Envelope", fields=fields)
    return _ENVELOPES[name]


def _instance(data: Any) -> serializers.Field:
    return data() if isinstance(data, type) else data


def envelope_schema(
    data: Any,
    *,
    name: str,
    status: int = 200,
    errors: Iterable[int] = (),
    request: Any = None,
    example: Any = None,
    request_example: Any = None,
    message: str | None = None,
    parameters: Sequence[OpenApiParameter] = (),
    operation_id: str | None = None,
    idempotent: bool = False,
) -> Callable[[Any], Any]:
    """Describe one operation: `data` answered with `status` in the envelope, and the error
    envelope for 401 and each of `errors`. `example` is the `data` of the success example.
    Tags, summaries and descriptions come from queueproject/api/docs.py. An idempotent operation
    takes the Idempotency-Key header: a replay answers 200 with the first answer, a key reused
    for another request 409."""
    codes = sorted({401, *errors, *([409] if idempotent else [])})
    responses: dict[int, Any] = {status: _success(data, name, status, example, message)}
    if idempotent:
        responses[200] = _success(data, name, 200, example, message)
    responses.update({code: error_response(code) for code in codes})
    examples = []
    if request_example is not None:
        examples.append(OpenApiExample("request", value=request_example, request_only=True))
    extra = [RETRY_AFTER] if 429 in codes else []
    if idempotent:
        extra.append(IDEMPOTENCY_KEY)
    return extend_schema(
        request=request,
        responses=responses,
        examples=examples,
        parameters=[*parameters, *extra],
        operation_id=operation_id,
    )


def _success(data: Any, name: str, status: int, example: Any, message: str | None) -> Any:
    body: dict[str, Any] = {"success": True}
    if message:
        body["message"] = message
    body["data"] = example
    sample = OpenApiExample("success", value=body, status_codes=[status], response_only=True)
    return OpenApiResponse(enveloped(data, name=name), examples=[sample])
