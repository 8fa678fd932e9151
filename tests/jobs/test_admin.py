"""Staff inspect the ledger in the Django admin."""

from __future__ import annotations

import pytest

from jobs.models import JobStatus
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
