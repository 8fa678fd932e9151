from __future__ import annotations

import re

import pytest

from jobs.models import JobStatus
from tests.factories import make_job

pytestmark = pytest.mark.django_db


def count_cell(page: str, status: str) -> str:
    match = re.search(rf'data-status="{status}">(\d+)<', page)
    assert match, f"no count for {status}"
    return match.group(1)


def test_overview_shows_job_counts_per_status(staff_client) -> None:
    make_job(status=JobStatus.FAILED)
    make_job(status=JobStatus.FAILED)
    make_job(status=JobStatus.COMPLETED)
    page = staff_client.get("/").content.decode()
    assert count_cell(page, "failed") == "2"
    assert count_cell(page, "completed") == "1"
    assert count_cell(page, "active") == "0"


def test_overview_sends_anonymous_visitors_to_the_login_page(client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
