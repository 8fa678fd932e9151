"""One filter over the job ledger (jobs.filters): what a query string finds, and what it refuses."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.http import QueryDict

from jobs.filters import job_filter, job_search
from jobs.models import JobStatus, QueueJob
from tests.factories import make_job, make_upload

pytestmark = pytest.mark.django_db


def found(params: Any, *, user: User | None = None) -> list[QueueJob]:
    jobs = job_filter(params, user=user)
    assert jobs.is_valid(), jobs.errors
    return list(jobs.qs)


def errors(params: Any) -> dict[str, list[str]]:
    jobs = job_filter(params, user=None)
    assert not jobs.is_valid()
    return dict(jobs.errors)


def test_plain_users_see_only_their_own_jobs_staff_see_all(django_user_model) -> None:
    alice = django_user_model.objects.create_user("alice")
    bob = django_user_model.objects.create_user("bob")
    mine = make_job(created_by=alice)
    make_job(created_by=bob)
    assert found({}, user=alice) == [mine]
    staff = django_user_model.objects.create_user("staff", is_staff=True)
    assert len(found({}, user=staff)) == 2


def test_filters_combine() -> None:
    hit = make_job(type="uploads.import", status=JobStatus.FAILED, batch_id="b-1", priority=2)
    make_job(type="uploads.import", status=JobStatus.COMPLETED, batch_id="b-1")
    make_job(type="system.noop", status=JobStatus.FAILED, batch_id="b-1")
    wanted = {"status": "failed", "type": "uploads.import", "batch_id": "b-1", "priority": "2"}
    assert found(wanted) == [hit]
    assert found({"search": "b-1", "status": "failed", "type": "uploads.import"}) == [hit]


def test_status_takes_several_values_comma_separated_or_repeated() -> None:
    failed = make_job(status=JobStatus.FAILED)
    cancelled = make_job(status=JobStatus.CANCELLED)
    make_job(status=JobStatus.COMPLETED)
    assert set(found({"status": "failed, cancelled"})) == {failed, cancelled}
    assert set(found(QueryDict("status=failed&status=cancelled"))) == {failed, cancelled}
    assert set(found({"status": ["failed", "cancelled"]})) == {failed, cancelled}


@pytest.mark.parametrize(
    ("field", "value", "allowed"),
    [
        ("status", "bogus", "pending, scheduled, waiting, active, completed, failed, cancelled"),
        ("queue", "nope", "uploads, default"),
        ("type", "no.such.type", "system.fail"),
        ("source", "carrier-pigeon", "api, upload, admin"),
    ],
)
def test_an_unknown_value_is_refused_naming_the_allowed_ones(field, value, allowed) -> None:  # type: ignore[no-untyped-def]
    (message,) = errors({field: value})[field]
    assert f"'{value}'" in message
    assert allowed in message


def test_a_queue_or_type_that_still_holds_jobs_is_known() -> None:
    old = make_job(queue="retired", type="legacy.export")
    assert found({"queue": "retired"}) == [old]
    assert found({"type": "legacy.export"}) == [old]


def test_an_unknown_queue_names_the_queues_that_hold_jobs_too() -> None:
    make_job(queue="retired")
    (message,) = errors({"queue": "nope"})["queue"]
    assert message == "unknown value 'nope'; allowed: uploads, default, retired"


def test_source_filters() -> None:
    cli = make_job(source="cli")
    make_job(source="api")
    assert found({"source": "cli"}) == [cli]


def test_a_refused_filter_selects_nothing() -> None:
    make_job(status=JobStatus.FAILED)
    assert list(job_filter({"status": "bogus"}, user=None).qs) == []


def test_search_finds_a_job_by_its_full_id_with_or_without_dashes() -> None:
    job = make_job()
    make_job()
    assert found({"search": str(job.pk)}) == [job]
    assert found({"search": job.pk.hex.upper()}) == [job]


def test_search_finds_a_job_by_the_first_8_characters_of_its_id() -> None:
    job = make_job(id=uuid.UUID("3f2a9c1e-7b2d-4c1a-9e8f-0123456789ab"))
    make_job(id=uuid.UUID("3f2a9c1f-0000-4000-8000-000000000000"))
    make_job(id=uuid.UUID("3f2a9c1d-ffff-4fff-bfff-ffffffffffff"))
    assert found({"search": "3f2a9c1e"}) == [job]
    assert found({"search": "3f2a9c1e-7b"}) == [job]


def test_search_of_fewer_than_8_hex_digits_is_not_an_id() -> None:
    make_job(id=uuid.UUID("3f2a9c1e-7b2d-4c1a-9e8f-0123456789ab"))
    assert found({"search": "3f2a9c1"}) == []


def test_search_finds_batch_id_type_uploader_and_error_text(django_user_model) -> None:
    thandi = django_user_model.objects.create_user("thandi")
    by_batch = make_job(batch_id="import-2025-05")
    by_type = make_job(type="reports.build")
    by_user = make_job(created_by=thandi)
    by_error = make_job(status=JobStatus.FAILED, error_message="connection refused by smtp")
    assert found({"search": "import-2025-05"}) == [by_batch]
    assert found({"search": "reports"}) == [by_type]
    assert found({"search": "Thandi"}) == [by_user]
    assert found({"search": "SMTP"}) == [by_error]


def test_job_search_narrows_any_queryset() -> None:
    job = make_job(batch_id="b-7")
    make_job(batch_id="b-8")
    assert list(job_search(QueueJob.objects.all(), " b-7 ")) == [job]
    assert job_search(QueueJob.objects.all(), "  ").count() == 2


def test_search_finds_an_upload_by_its_file_name() -> None:
    job = make_job(type="uploads.import")
    make_job(type="uploads.import")
    make_upload(original_name="Members May 2025.xlsx", job=job)
    assert found({"search": "members may"}) == [job]


def test_a_batch_id_or_username_finds_its_jobs_not_text_that_mentions_it(django_user_model) -> None:
    sipho = django_user_model.objects.create_user("sipho")
    own = make_job(created_by=sipho)
    make_job(status=JobStatus.FAILED, error_message="mail to sipho bounced")
    assert found({"search": "sipho"}) == [own]
