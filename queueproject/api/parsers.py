"""Request parsers that answer bad bodies with a 400 saying what is wrong, never a 500."""

from __future__ import annotations

from typing import Any

from django.utils.http import parse_header_parameters
from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser; JSON nested so deep that Python's parser recurses out is a 400."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - nested too deeply") from None


class MultiPartParser(parsers.MultiPartParser):
    """DRF's multipart parser; a Content-Type without its boundary is named as the fault."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        request = (parser_context or {}).get("request")
        content_type = request.META.get("CONTENT_TYPE", "") if request is not None else ""
        if not parse_header_parameters(content_type)[1].get("boundary"):
            raise exceptions.ParseError(
                "multipart body without a boundary: the Content-Type header must be "
                "'multipart/form-data; boundary=...' naming the boundary the body uses"
            )
        return super().parse(stream, media_type, parser_context)
