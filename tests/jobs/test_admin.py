"""Staff inspect the ledger in the Django admin."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from jobs.models import JobStatus, QueueWorker
from tests.factories import make_job

pytestmark = pytest.mark.django_db


def test_job_changelist_lists_jobs_with_status_and_attempts(admin_client) -> None:
    make_job(type="uploads.import", status=JobStatus.FAILED, attempts=3, max_attempts=3)
    response = admin_client.get("/admin/jobs/queuejob/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "uploads.import" in page
    assert "3/3" in page
    assert "Failed" in page


def test_job_changelist_filters_by_status(admin_client) -> None:
    failed = make_job(status=JobStatus.FAILED)
    completed = make_job(status=JobStatus.COMPLETED)
    page = admin_client.get("/admin/jobs/queuejob/?status__exact=failed").content.decode()
    assert page.count('class="field-short_id"') == 1
    assert f"{failed.pk}/change/" in page
    assert f"{completed.pk}/change/" not in page


def test_job_changelist_query_count_does_not_grow_with_rows(
    admin_client, django_assert_max_num_queries, admin_user
) -> None:
    for _ in range(30):
        make_job(created_by=admin_user)
    with django_assert_max_num_queries(12):
        assert admin_client.get("/admin/jobs/queuejob/").status_code == 200


def test_job_detail_page_shows_the_error(admin_client) -> None:
    job = make_job(status=JobStatus.FAILED, error_message="division by zero")
    page = admin_client.get(f"/admin/jobs/queuejob/{job.pk}/change/").content.decode()
    assert "division by zero" in page


@pytest.mark.parametrize("model", ["queueworker", "queuemetric"])
def test_worker_and_metric_changelists_load(admin_client, model: str) -> None:
    assert admin_client.get(f"/admin/jobs/{model}/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_retry_action_retries_failed_jobs_and_reports_the_count(admin_client) -> None:
    failed = make_job(status=JobStatus.FAILED)
    completed = make_job(status=JobStatus.COMPLETED)
    response = admin_client.post(
        "/admin/jobs/queuejob/",
        {"action": "retry_jobs", "_selected_action": [failed.pk, completed.pk]},
        follow=True,
    )
    assert "1 of 2 retried; 1 skipped: completed jobs are not retried." in response.content.decode()
    failed.refresh_from_db()
    assert failed.status == JobStatus.WAITING
    assert failed.events.get().actor.username == "admin"


@pytest.mark.django_db(transaction=True)
def test_cancel_action_cancels_unfinished_jobs(admin_client) -> None:
    pending = make_job(status=JobStatus.PENDING)
    response = admin_client.post(
        "/admin/jobs/queuejob/",
        {"action": "cancel_jobs", "_selected_action": [pending.pk]},
        follow=True,
    )
    assert "1 of 1 cancelled." in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == JobStatus.CANCELLED


def test_job_detail_page_shows_the_event_log(admin_client) -> None:
    job = make_job(status=JobStatus.FAILED)
    job.events.create(at=job.created_at, kind="failed", attempt=1, message="disk full")
    page = admin_client.get(f"/admin/jobs/queuejob/{job.pk}/change/").content.decode()
    assert "disk full" in page
    assert "Attempt failed" in page


def test_job_changelist_search_finds_an_id_prefix_and_a_batch_id(admin_client) -> None:
    job = make_job(batch_id="import-7")
    other = make_job()
    by_prefix = admin_client.get("/admin/jobs/queuejob/", {"q": str(job.pk)[:8]})
    assert by_prefix.context["cl"].result_count == 1
    assert str(other.pk)[:8] not in by_prefix.content.decode()
    by_batch = admin_client.get("/admin/jobs/queuejob/", {"q": "import-7"})
    assert list(by_batch.context["cl"].result_list) == [job]


def test_the_job_page_is_read_only_and_offers_what_its_status_allows(admin_client) -> None:
    failed = make_job(status=JobStatus.FAILED)
    page = admin_client.get(f"/admin/jobs/queuejob/{failed.pk}/change/").content.decode()
    assert 'name="_save"' not in page
    assert f'href="/dashboard/jobs/{failed.pk}/retry/"' in page
    assert f'href="/dashboard/jobs/{failed.pk}/cancel/"' not in page


def test_a_cancel_the_status_forbids_says_what_was_skipped_and_why(admin_client) -> None:
    done = make_job(status=JobStatus.COMPLETED)
    response = admin_client.post(
        "/admin/jobs/queuejob/",
        {"action": "cancel_jobs", "_selected_action": [str(done.pk)]},
        follow=True,
    )
    assert "0 of 1 cancelled; 1 skipped: completed jobs are not cancelled." in (
        response.content.decode()
    )


def test_statuses_are_badges_and_times_carry_seconds(admin_client) -> None:
    job = make_job(status=JobStatus.FAILED)
    page = admin_client.get("/admin/jobs/queuejob/").content.decode()
    assert re.search(r'<span style="background:#fbe4e2;[^"]*">failed</span>', page)
    local = timezone.localtime(job.created_at).strftime("%Y-%m-%d %H:%M:%S")
    assert local in page


@pytest.mark.parametrize("model", ["queuejob", "queueworker", "queuemetric"])
def test_the_admin_adds_no_row_the_engine_writes(admin_client, model: str) -> None:
    assert admin_client.get(f"/admin/jobs/{model}/add/").status_code == 403
    changelist = admin_client.get(f"/admin/jobs/{model}/").content.decode()
    assert f'href="/admin/jobs/{model}/add/"' not in changelist


def test_a_workers_admin_page_shows_its_fields_without_inputs(admin_client) -> None:
    now = timezone.now()
    worker = QueueWorker.objects.create(
        name="rq-7", hostname="node-b", pid=4242, last_heartbeat=now, started_at=now
    )
    page = admin_client.get(f"/admin/jobs/queueworker/{worker.pk}/change/").content.decode()
    assert "node-b" in page
    assert 'name="hostname"' not in page
    assert 'name="pid"' not in page
