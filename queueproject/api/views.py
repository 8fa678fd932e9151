"""Views of no app."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.views import APIView


class UnknownEndpoint(APIView):
    """Any other path under /api/: a 404 in the envelope, not Django's HTML page."""

    permission_classes: list[Any] = []
    throttle_classes: list[Any] = []
    schema = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        raise exceptions.NotFound(f"no API endpoint at {request.path}")
