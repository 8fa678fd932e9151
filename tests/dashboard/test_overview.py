from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User

from jobs.models import JobStatus
from tests.factories import make_job

pytestmark = pytest.mark.django_db


def count_cell(page: str, key: str) -> str:
    match = re.search(rf'data-stat="{key}">([\d,]+)<', page)
    assert match, f"no count for {key}"
    return match.group(1)


def test_the_site_root_leads_to_the_dashboard(staff_client) -> None:
    response = staff_client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"


def test_overview_shows_job_counts_per_queue_and_in_all(staff_client) -> None:
    make_job(status=JobStatus.FAILED)
    make_job(status=JobStatus.FAILED, queue="uploads")
    make_job(status=JobStatus.COMPLETED)
    page = staff_client.get("/dashboard/").content.decode()
    assert count_cell(page, "all:failed") == "2"
    assert count_cell(page, "default:failed") == "1"
    assert count_cell(page, "uploads:failed") == "1"
    assert count_cell(page, "all:completed") == "1"
    assert count_cell(page, "all:active") == "0"
    assert count_cell(page, "all:total") == "3"


def test_an_uploader_who_is_not_staff_counts_only_their_own_jobs(client) -> None:
    me = User.objects.create_user("uploader", password="pw-uploader-1")
    make_job(status=JobStatus.FAILED, created_by=me)
    make_job(status=JobStatus.FAILED)
    client.force_login(me)
    page = client.get("/dashboard/").content.decode()
    assert count_cell(page, "all:failed") == "1"
    assert "Workers alive" not in page


def test_overview_sends_anonymous_visitors_to_the_sign_in_page(client) -> None:
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"].startswith("/dashboard/login/")
