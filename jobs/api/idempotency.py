"""The Idempotency-Key header on submissions: the view method decorated with `idempotent`
answers a retry (same user, same key, same request, within 24 h) with the first answer and 200,
and a reuse of the key for another request with 409."""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from jobs.services.idempotency import Replay, idempotency_claim, idempotency_store

HEADER = "Idempotency-Key"
VALID_KEY = re.compile(r"[\x21-\x7e]{1,255}")  # printable ASCII, no spaces: UUIDs and the like
IDEMPOTENCY_KEY = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "makes a retry safe: the same key from the same user within 24 h answers the first "
        "request's result again (200, no new job); the same key with a different request is "
        "409. Up to 255 printable ASCII characters, e.g. a UUID."
    ),
)
Method = Callable[..., Response]


def idempotent(method: Method) -> Method:
    @functools.wraps(method)
    def handle(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return method(view, request, *args, **kwargs)
        if not VALID_KEY.fullmatch(key):
            message = "must be 1 to 255 printable ASCII characters without spaces"
            raise exceptions.ValidationError({HEADER: message})
        # One transaction for the key, the work and the answer: a request that fails, or a server
        # that dies half-way, leaves neither a job nor a used key, and a concurrent request with
        # the same key waits for this one and is then answered with its result.
        with transaction.atomic():
            claim = idempotency_claim(user=request.user, key=key, fingerprint=fingerprint(request))
            if isinstance(claim, Replay):
                headers = {"Idempotent-Replayed": "true"}
                return Response(claim.response, status=200, headers=headers)
            response = method(view, request, *args, **kwargs)
            if 200 <= response.status_code < 300:
                stored = json.loads(JSONRenderer().render(response.data))
                idempotency_store(record=claim, status_code=response.status_code, response=stored)
            else:
                transaction.set_rollback(True)
        return response

    return handle


def fingerprint(request: Request) -> str:
    """What makes two requests the same: the endpoint, and the parsed body (a multipart body's
    boundary differs between retries; its fields and files' contents do not)."""
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    data = request.data
    if hasattr(data, "lists"):  # a form or multipart body
        for name, values in sorted(data.lists()):
            for value in values:
                digest.update(f"{name}=".encode())
                _update(digest, value)
    else:
        digest.update(json.dumps(data, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def _update(digest: Any, value: Any) -> None:
    if hasattr(value, "chunks"):  # an uploaded file: its name and content
        digest.update(f"file:{value.name}:{value.size}\n".encode())
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
    else:
        digest.update(f"{value}\n".encode())
