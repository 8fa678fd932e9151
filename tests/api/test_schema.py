"""The OpenAPI schema describes every operation as the API answers: success inside the envelope,
the error envelope for each error status, and examples."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def operations(django_db_blocker) -> list[tuple[str, str, dict[str, Any]]]:  # type: ignore[no-untyped-def]
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (method.upper(), path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    ]


def json_schema(response: dict[str, Any]) -> dict[str, Any]:
    return response["content"]["application/json"]["schema"]  # type: ignore[no-any-return]


def test_every_operation_documents_401_in_the_error_envelope(operations) -> None:
    for method, path, operation in operations:
        assert json_schema(operation["responses"]["401"]) == {
            "$ref": "#/components/schemas/ErrorEnvelope"
        }, (method, path)


def test_every_success_is_an_envelope_with_an_example(operations) -> None:
    for method, path, operation in operations:
        for status, response in operation["responses"].items():
            if status.startswith("2") and "application/json" in response["content"]:
                assert json_schema(response)["$ref"].endswith("Envelope"), (method, path)
                assert response["content"]["application/json"].get("examples"), (method, path)


def test_every_json_request_body_has_an_example(operations) -> None:
    for method, path, operation in operations:
        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" in content:
            assert content["application/json"].get("examples"), (method, path)


def test_throttled_operations_document_429_with_retry_after(operations) -> None:
    submit = next(op for m, p, op in operations if (m, p) == ("POST", "/api/v1/queue/jobs"))
    assert "Retry-After" in submit["responses"]["429"]["headers"]


RESOURCE_TAGS = {"jobs", "queues", "workers", "metrics", "bulk upload"}
INTERNAL_WORDS = ("seed", "A view on", "view", "selector", "service", "ledger")


def test_every_operation_is_tagged_by_resource(operations) -> None:
    tags = {(method, path): operation["tags"] for method, path, operation in operations}
    assert all(len(tag) == 1 and tag[0] in RESOURCE_TAGS for tag in tags.values()), tags
    assert tags[("GET", "/api/v1/queue/workers")] == ["workers"]
    assert tags[("POST", "/api/v1/bulk-upload/process")] == ["bulk upload"]


def test_every_operation_has_a_summary_and_a_description_in_a_clients_words(operations) -> None:
    for method, path, operation in operations:
        assert operation.get("summary"), (method, path)
        description = operation.get("description", "")
        assert len(description) > 40, (method, path)
        assert not any(word in description for word in INTERNAL_WORDS), (method, path)


def test_clear_completed_says_what_it_deletes_and_answers(operations) -> None:
    clear = next(op for m, p, op in operations if p == "/api/v1/queue/clear-completed")
    assert "without it (or with 0), every completed job" in clear["description"]
    assert "Answers the number deleted" in clear["description"]
