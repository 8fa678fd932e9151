"""The Idempotency-Key header: its name, what a key may be, its place in the schema, and what
makes two requests the same (their fingerprint). Where keys and answers are kept is the job
ledger's (jobs/api/idempotency.py)."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.request import Request

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
