"""The dashboard as people use it, in Chromium: sign in, watch counts move, find, retry, cancel,
pause, submit; and what a read-only viewer and an uploader who is not staff may see and do."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests
from django.contrib.auth.models import User
from playwright.sync_api import expect
from rest_framework.authtoken.models import Token

from jobs.models import JobStatus, QueueJob
from jobs.selectors import paused_queues
from jobs.services import JobSpec, job_submit
from tests.conftest import Processes
from tests.e2e.conftest import person, screenshot, sign_in
from tests.factories import make_job

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def operator() -> User:
    return person("olive", "queue_operator", is_staff=True)


def row(page: Any, job: QueueJob) -> Any:
    return page.locator(f'tr[data-job-id="{job.pk}"]')


def test_the_overview_counts_a_job_submitted_through_the_api_without_a_reload(
    processes: Processes, browser_page: Any
) -> None:
    url = processes.server()
    user = operator()
    token = Token.objects.create(user=user).key
    page = browser_page
    sign_in(page, url, "olive")
    waiting = page.locator('[data-stat="all:waiting"]')
    expect(waiting).to_have_text("0")
    expect(page.locator("[data-live-state]")).to_have_text("live")
    screenshot(page, "overview")

    response = requests.post(
        f"{url}/api/v1/queue/jobs",
        json={"type": "system.noop", "data": {}},
        headers={"Authorization": f"Token {token}"},
        timeout=10,
    )
    assert response.status_code == 202, response.text
    expect(waiting).to_have_text("1", timeout=12_000)
    expect(page.locator('[data-stat="default:waiting"]')).to_have_text("1")


def test_filter_by_status_and_find_a_job_by_its_id_prefix(
    processes: Processes, browser_page: Any
) -> None:
    url = processes.server()
    operator()
    failed = make_job(status=JobStatus.FAILED, error_message="the file was empty")
    make_job(status=JobStatus.COMPLETED)
    page = browser_page
    sign_in(page, url, "olive")
    page.get_by_role("link", name="Jobs", exact=True).click()
    page.get_by_label("Failed").check()
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("1 job matches")).to_be_visible()
    expect(row(page, failed)).to_be_visible()
    screenshot(page, "jobs-filtered")

    page.get_by_role("link", name="Clear").click()
    page.get_by_label("Search").fill(str(failed.pk)[:8])
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("1 job matches")).to_be_visible()
    row(page, failed).get_by_role("link", name=str(failed.pk)[:8]).click()
    expect(page.get_by_role("heading", name=re.compile(str(failed.pk)))).to_be_visible()
    expect(page.get_by_text("the file was empty").first).to_be_visible()
    screenshot(page, "job-detail")


def test_retry_and_cancel_from_the_list_and_from_the_detail_page(
    processes: Processes, browser_page: Any
) -> None:
    url = processes.server()
    operator()
    failed = [make_job(status=JobStatus.FAILED) for _ in range(2)]
    waiting = [job_submit(spec=JobSpec(type="system.noop")) for _ in range(2)]
    page = browser_page
    sign_in(page, url, "olive")
    page.goto(f"{url}/dashboard/jobs/")
    screenshot(page, "jobs")

    # From the list: select a failed job and retry it, then a waiting one and cancel it.
    row(page, failed[0]).get_by_role("checkbox").check()
    page.get_by_label("Action").select_option("retry")
    page.get_by_role("button", name="Apply to selected").click()
    expect(page.get_by_role("heading", name="Retry 1 job?")).to_be_visible()
    screenshot(page, "jobs-confirm")
    page.get_by_role("button", name="Yes, retry 1 job").click()
    expect(page.get_by_text("1 retried.")).to_be_visible()
    row(page, waiting[0]).get_by_role("checkbox").check()
    page.get_by_label("Action").select_option("cancel")
    page.get_by_role("button", name="Apply to selected").click()
    page.get_by_role("button", name="Yes, cancel 1 job").click()
    expect(page.get_by_text("1 cancelled.")).to_be_visible()
    expect(row(page, waiting[0]).get_by_text("cancelled")).to_be_visible()

    # From the detail pages.
    page.goto(f"{url}/dashboard/jobs/{failed[1].pk}/")
    page.get_by_role("link", name="Retry").click()
    page.get_by_role("button", name="Yes, retry it").click()
    expect(page.get_by_text(f"Job {str(failed[1].pk)[:8]} retried.")).to_be_visible()
    page.goto(f"{url}/dashboard/jobs/{waiting[1].pk}/")
    page.get_by_role("link", name="Cancel").click()
    page.get_by_role("button", name="Yes, cancel it").click()
    expect(page.get_by_text(f"Job {str(waiting[1].pk)[:8]} cancelled.")).to_be_visible()

    statuses = dict(QueueJob.objects.values_list("pk", "status"))
    assert statuses[failed[0].pk] in (JobStatus.PENDING, JobStatus.WAITING)
    assert statuses[failed[1].pk] in (JobStatus.PENDING, JobStatus.WAITING)
    assert statuses[waiting[0].pk] == statuses[waiting[1].pk] == JobStatus.CANCELLED


def test_cancel_all_matching_a_filter_after_a_confirmation_with_the_count(
    processes: Processes, browser_page: Any
) -> None:
    url = processes.server()
    operator()
    for _ in range(7):
        job_submit(spec=JobSpec(type="system.noop"))
    for _ in range(3):
        make_job(status=JobStatus.COMPLETED)
    page = browser_page
    sign_in(page, url, "olive")
    page.goto(f"{url}/dashboard/jobs/?status=waiting")
    expect(page.get_by_text("7 jobs match")).to_be_visible()
    page.get_by_label("Action").select_option("cancel")
    page.get_by_role("button", name="Apply to all 7 matching").click()
    expect(page.get_by_role("heading", name="Cancel 7 jobs?")).to_be_visible()
    expect(page.get_by_text("All 7 jobs matching the filter")).to_be_visible()
    page.get_by_role("button", name="Yes, cancel 7 jobs").click()
    expect(page.get_by_text("7 cancelled.")).to_be_visible()
    expect(page.get_by_text("0 jobs match")).to_be_visible()
    assert QueueJob.objects.filter(status=JobStatus.CANCELLED).count() == 7
    assert QueueJob.objects.filter(status=JobStatus.COMPLETED).count() == 3


def test_pause_and_resume_a_queue(processes: Processes, browser_page: Any) -> None:
    url = processes.server()
    operator()
    page = browser_page
    sign_in(page, url, "olive")
    page.get_by_role("link", name="Queues").click()
    page.get_by_role("button", name="Pause uploads").click()
    expect(page.get_by_text("Queue uploads paused: it starts nothing new.")).to_be_visible()
    assert paused_queues() == {"uploads"}
    screenshot(page, "queues")
    page.get_by_role("button", name="Resume uploads").click()
    expect(page.get_by_text("Queue uploads resumed.")).to_be_visible()
    assert paused_queues() == set()


def test_submit_a_scheduled_job_from_the_job_panel(processes: Processes, browser_page: Any) -> None:
    url = processes.server()
    operator()
    page = browser_page
    sign_in(page, url, "olive")
    page.get_by_role("link", name="New job").first.click()
    page.get_by_label("Type").select_option("system.sleep")
    page.get_by_label("Data").fill("{not json")
    page.get_by_role("button", name="Submit job").click()
    expect(page.get_by_role("heading", name="New job")).to_be_visible()  # the browser held it
    assert not QueueJob.objects.exists()
    page.get_by_label("Data").fill('{"seconds": 2}')
    page.get_by_label("Scheduled at").fill("2099-06-30T09:15:00")
    screenshot(page, "job-panel")
    page.get_by_role("button", name="Submit job").click()
    expect(
        page.get_by_text(re.compile(r"Job [0-9a-f]{8} submitted \(scheduled\)\."))
    ).to_be_visible()
    job = QueueJob.objects.get()
    expect(row(page, job).get_by_text("scheduled")).to_be_visible()
    assert job.data == {"seconds": 2}
    assert job.status == JobStatus.SCHEDULED


def test_a_viewer_sees_no_action_and_a_forged_post_is_refused(
    processes: Processes, browser_page: Any
) -> None:
    url = processes.server()
    person("vera", "queue_viewer", is_staff=True)
    failed = make_job(status=JobStatus.FAILED)
    page = browser_page
    sign_in(page, url, "vera")
    page.goto(f"{url}/dashboard/jobs/")
    expect(row(page, failed)).to_be_visible()
    expect(page.get_by_role("button", name="Apply to selected")).to_have_count(0)
    page.goto(f"{url}/dashboard/jobs/{failed.pk}/")
    expect(page.get_by_role("link", name="Retry")).to_have_count(0)
    page.goto(f"{url}/dashboard/queues/")
    expect(page.get_by_role("button", name=re.compile("Pause"))).to_have_count(0)
    forged = page.request.post(
        f"{url}/dashboard/jobs/{failed.pk}/retry/",
        headers={"X-CSRFToken": _csrf(page)},
    )
    assert forged.status == 403
    assert "Not allowed" in forged.text()
    assert QueueJob.objects.get(pk=failed.pk).status == JobStatus.FAILED


def test_an_uploader_who_is_not_staff_sees_only_their_own_jobs(
    processes: Processes, browser_page: Any
) -> None:
    url = processes.server()
    uma = person("uma")
    mine = make_job(status=JobStatus.COMPLETED, created_by=uma)
    theirs = make_job(status=JobStatus.COMPLETED, created_by=person("other"))
    page = browser_page
    sign_in(page, url, "uma")
    expect(page.get_by_role("link", name="Workers")).to_have_count(0)
    page.get_by_role("link", name="Jobs", exact=True).click()
    expect(page.get_by_text("1 job matches")).to_be_visible()
    expect(row(page, mine)).to_be_visible()
    expect(row(page, theirs)).to_have_count(0)
    screenshot(page, "jobs-uploader")
    assert page.goto(f"{url}/dashboard/jobs/{theirs.pk}/").status == 404


def _csrf(page: Any) -> str:
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    return str(cookies["csrftoken"])


def test_rows_on_screen_follow_their_jobs_without_a_reload(
    processes: Processes, browser_page: Any
) -> None:
    url = processes.server()
    operator()
    job = job_submit(spec=JobSpec(type="system.sleep", data={"seconds": 2}))
    page = browser_page
    sign_in(page, url, "olive")
    page.goto(f"{url}/dashboard/jobs/")
    expect(row(page, job).get_by_text("waiting")).to_be_visible()
    expect(page.locator("[data-live-state]")).to_have_text("live")
    page.evaluate("window.notReloaded = true")
    processes.worker()
    expect(row(page, job).get_by_text("completed")).to_be_visible(timeout=30_000)
    expect(row(page, job).get_by_text("100%")).to_be_visible()
    assert page.evaluate("window.notReloaded") is True
