"""The Idempotency-Key header on submissions: the view method decorated with `idempotent`
answers a retry (same user, same key, same request, within 24 h) with the first answer and 200,
and a reuse of the key for another request with 409. The keys are kept in the job ledger."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from django.db import transaction
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from jobs.services.idempotency import Replay, idempotency_claim, idempotency_store
from queueproject.api.idempotency import HEADER, VALID_KEY, fingerprint

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
