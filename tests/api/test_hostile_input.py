"""Input an attacker or a broken client sends: every answer is a 4xx in the envelope, never a
500, and says what is wrong."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jobs.models import QueueJob

pytestmark = pytest.mark.django_db(transaction=True)
JOBS = "/api/v1/queue/jobs"
PROCESS = "/api/v1/bulk-upload/process"


def _error(response) -> dict:  # type: ignore[no-untyped-def]
    body = response.json()
    assert body["success"] is False, body
    return body["error"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("path", [JOBS, PROCESS])
def test_a_20_mb_json_body_is_413_in_the_envelope(api, path: str) -> None:
    body = json.dumps({"type": "system.noop", "data": {"blob": "x" * 20_000_000}})
    response = api["alice"].post(path, body, content_type="application/json")
    assert response.status_code == 413
    assert "too large" in _error(response)["message"]


@pytest.mark.parametrize("path", [JOBS, PROCESS])
def test_deeply_nested_json_is_400(api, path: str) -> None:
    response = api["alice"].post(path, "[" * 100_000, content_type="application/json")
    assert response.status_code == 400
    assert "nested" in _error(response)["message"]


@pytest.mark.parametrize(
    "data",
    [{"note": "a\u0000b"}, {"a\u0000b": 1}, {"note": "\ud800"}, {"\udfff": 1}, {"x": ["\u0000"]}],
)
def test_nul_or_lone_surrogate_in_job_data_is_400_naming_the_field(api, data) -> None:
    body = json.dumps({"type": "system.noop", "data": data})  # escapes: valid JSON text
    response = api["alice"].post(JOBS, body, content_type="application/json")
    assert response.status_code == 400
    assert _error(response)["message"].startswith("data")
    assert not QueueJob.objects.exists()


def test_nul_in_a_records_column_name_is_400(api) -> None:
    body = json.dumps({"import_type": "members", "records": [{"id_number\u0000": "1"}]})
    response = api["alice"].post(PROCESS, body, content_type="application/json")
    assert response.status_code == 400
    assert "records" in _error(response)["message"]


@pytest.mark.parametrize(
    "query", ["/api/v1/queue/metrics?queue=%00", "/api/v1/queue/jobs?search=a%00b"]
)
def test_a_nul_in_a_query_parameter_is_400_naming_it(api, query: str) -> None:
    response = api["alice"].get(query)
    assert response.status_code == 400
    assert _error(response)["message"].startswith(query.split("?")[1].split("=")[0])


@pytest.mark.parametrize(
    "path", ["/api/v1/bulk-upload/queue/jobs", "/api/v1/bulk-upload/history", JOBS]
)
@pytest.mark.parametrize("limit", ["%C2%B2", "0", "501", "abc", "-1"])
def test_one_rule_for_limit_everywhere(api, path: str, limit: str) -> None:
    response = api["operator"].get(f"{path}?limit={limit}")
    assert response.status_code == 400
    assert _error(response)["message"] == "limit: must be a whole number from 1 to 500"


@pytest.mark.parametrize("content_type", ["multipart/form-data", "multipart/form-data; boundary="])
def test_multipart_without_a_boundary_says_what_is_wrong(api, content_type: str) -> None:
    response = api["alice"].post(PROCESS, b"--x\r\n", content_type=content_type)
    assert response.status_code == 400
    assert "without a boundary: the Content-Type header" in _error(response)["message"]


def test_scheduled_at_without_a_time_zone_is_refused(api) -> None:
    body = {"type": "system.noop", "data": {}, "scheduled_at": "2030-01-01T08:00:00"}
    response = api["alice"].post(JOBS, body, format="json")
    assert response.status_code == 400
    assert "time zone" in _error(response)["message"]
    assert not QueueJob.objects.exists()


def test_scheduled_at_of_an_upload_without_a_time_zone_is_refused(api) -> None:
    body = {
        "import_type": "devices",
        "records": [{"imei": "490154203237518"}],
        "scheduled_at": "2030-01-01T08:00:00",
    }
    response = api["alice"].post(PROCESS, body, format="json")
    assert response.status_code == 400
    assert "time zone" in _error(response)["message"]


def test_a_session_post_with_a_huge_body_is_not_a_500() -> None:
    response = Client().post(JOBS, "x" * 20_000_000, content_type="application/json")
    assert response.status_code in (401, 413)


def test_a_plain_text_pdf_is_415_at_upload(api) -> None:
    pdf = SimpleUploadedFile("members.csv", b"%PDF-1.4\nid_number,first_name\n%%EOF\n")
    response = api["alice"].post(PROCESS, {"file": pdf}, format="multipart")
    assert response.status_code == 415
    assert "PDF" in _error(response)["message"]
