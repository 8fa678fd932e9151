"""The base of every refusal a service raises on purpose.

An app's error says what it means for a client by itself: `status_code` (the HTTP status the API
answers with), `code` (the envelope's machine-readable code), and where it has them `details()`
and `headers()`. The API's exception handler reads these, so it needs to know no app."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """A request that a service refuses (HTTP 400 unless a subclass says otherwise)."""

    status_code = 400
    code = "invalid"

    def details(self) -> Any:
        """What the envelope carries under `details`; None leaves the key out."""
        return None

    def headers(self) -> dict[str, str] | None:
        """Headers of the answer (Retry-After, say)."""
        return None
