"""Idempotency-Key: a client that retries a submission gets the first answer again (200, no new
job); the same key for another request is 409; keys are per user and last 24 hours."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from jobs.models import IdempotencyKey, QueueJob
from tests.api.conftest import client_for
from tests.conftest import at_once
from tests.uploads.files import MEMBER_HEADER, members
from uploads.models import Upload

pytestmark = pytest.mark.django_db(transaction=True)
JOBS = "/api/v1/queue/jobs"
PROCESS = "/api/v1/bulk-upload/process"
NOOP = {"type": "system.noop", "data": {"n": 1}}


def _post(client, path: str, body, key: str = "k-1", **options):  # type: ignore[no-untyped-def]
    return client.post(path, body, HTTP_IDEMPOTENCY_KEY=key, **options)


def test_a_retried_job_submission_is_answered_again_without_a_new_job(api) -> None:
    first = _post(api["alice"], JOBS, NOOP, format="json")
    again = _post(api["alice"], JOBS, NOOP, format="json")
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert QueueJob.objects.count() == 1


def test_the_same_key_with_another_body_is_409(api) -> None:
    assert _post(api["alice"], JOBS, NOOP, format="json").status_code == 202
    other = _post(api["alice"], JOBS, {**NOOP, "data": {"n": 2}}, format="json")
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_conflict"
    assert QueueJob.objects.count() == 1


def test_keys_are_per_user(api) -> None:
    assert _post(api["alice"], JOBS, NOOP, format="json").status_code == 202
    assert _post(api["bob"], JOBS, NOOP, format="json").status_code == 202
    assert QueueJob.objects.count() == 2


def test_a_key_older_than_24_hours_is_forgotten(api) -> None:
    assert _post(api["alice"], JOBS, NOOP, format="json").status_code == 202
    IdempotencyKey.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    assert _post(api["alice"], JOBS, NOOP, format="json").status_code == 202
    assert QueueJob.objects.count() == 2


def test_a_refused_request_does_not_use_up_its_key(api) -> None:
    refused = _post(api["alice"], JOBS, {"type": "no.such.type"}, format="json")
    assert refused.status_code == 400
    assert _post(api["alice"], JOBS, NOOP, format="json").status_code == 202


def test_an_invalid_key_is_400(api) -> None:
    response = _post(api["alice"], JOBS, NOOP, key="has spaces", format="json")
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("Idempotency-Key:")


def test_a_retried_file_upload_is_answered_again_without_a_second_upload(api) -> None:
    content = ",".join(MEMBER_HEADER) + "\r\n" + ",".join(members(1)[0]) + "\r\n"

    def upload():  # type: ignore[no-untyped-def]
        file = SimpleUploadedFile("m.csv", content.encode(), content_type="text/csv")
        return _post(api["alice"], PROCESS, {"file": file, "dry_run": "true"}, format="multipart")

    first, again = upload(), upload()
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["data"]["job_id"] == first.json()["data"]["job_id"]
    assert Upload.objects.count() == 1


def test_without_a_key_every_submission_is_new(api) -> None:
    api["alice"].post(JOBS, NOOP, format="json")
    api["alice"].post(JOBS, NOOP, format="json")
    assert QueueJob.objects.count() == 2


def test_the_schema_documents_the_header_and_the_replay(api) -> None:
    schema = api["anonymous"].get("/api/schema/?format=json").json()
    for path in (JOBS, PROCESS):
        operation = schema["paths"][path]["post"]
        headers = [p["name"] for p in operation["parameters"] if p["in"] == "header"]
        assert "Idempotency-Key" in headers
        assert {"200", "409"} <= set(operation["responses"])


def test_two_requests_with_one_key_at_once_create_one_job(users) -> None:
    statuses: list[int] = []

    def send() -> None:
        client = client_for(users["alice"])
        answer = client.post(JOBS, NOOP, format="json", HTTP_IDEMPOTENCY_KEY="same")
        statuses.append(answer.status_code)

    at_once(send, send)
    assert sorted(statuses) == [200, 202]
    assert QueueJob.objects.count() == 1
