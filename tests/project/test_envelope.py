"""The API's exception handler answers any app's error by what the error says of itself."""

from __future__ import annotations

from typing import Any

from queueproject.api.envelope import exception_handler
from queueproject.errors import ServiceError


class Teapot(ServiceError):
    status_code = 418
    code = "teapot"

    def details(self) -> Any:
        return {"spout": "short"}

    def headers(self) -> dict[str, str] | None:
        return {"Retry-After": "7"}


def test_an_error_of_no_known_app_is_answered_with_its_own_status_code_and_details() -> None:
    response = exception_handler(Teapot("I am a teapot"), {})
    assert response.status_code == 418
    assert response["Retry-After"] == "7"
    assert response.data == {
        "success": False,
        "error": {"code": "teapot", "message": "I am a teapot", "details": {"spout": "short"}},
    }


def test_a_plain_service_error_is_an_invalid_400_without_details() -> None:
    response = exception_handler(ServiceError("no such option"), {})
    assert response.status_code == 400
    assert response.data == {
        "success": False,
        "error": {"code": "invalid", "message": "no such option"},
    }
