"""The jobs pages as a person uses them: what the list shows, what an action says it did, and
who may do what (the API's rules)."""

from __future__ import annotations

import re
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jobs.models import JobStatus, QueueJob
from tests.factories import make_job

pytestmark = pytest.mark.django_db


def shown_ids(page: str) -> list[str]:
    return re.findall(r'<tr data-job-id="([0-9a-f-]{36})"', page)


def text(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_list_filters_by_several_statuses_at_once(browser_as) -> None:
    failed = make_job(status=JobStatus.FAILED)
    cancelled = make_job(status=JobStatus.CANCELLED)
    make_job(status=JobStatus.COMPLETED)
    page = browser_as("operator").get("/dashboard/jobs/?status=failed&status=cancelled")
    assert sorted(shown_ids(page.content.decode())) == sorted([str(failed.pk), str(cancelled.pk)])
    assert "2 jobs match" in text(page)


def test_the_count_of_a_large_set_stops_at_the_cap(browser_as, settings) -> None:
    from dashboard.views import jobs as views

    for _ in range(4):
        make_job()
    original, views.COUNT_CAP = views.COUNT_CAP, 3
    try:
        page = browser_as("operator").get("/dashboard/jobs/")
    finally:
        views.COUNT_CAP = original
    assert "3+ jobs match" in text(page)


def test_pages_walk_every_job_once_in_either_direction(browser_as) -> None:
    made = {str(make_job().pk) for _ in range(120)}
    client = browser_as("operator")
    seen: list[str] = []
    pages = []
    url = "/dashboard/jobs/"
    while url:
        page = client.get(url).content.decode()
        pages.append(shown_ids(page))
        seen += pages[-1]
        found = re.search(r'href="\?([^"]*)" rel="next"', page)
        url = "/dashboard/jobs/?" + found.group(1).replace("&amp;", "&") if found else ""
    assert len(seen) == len(set(seen)) == 120
    assert set(seen) == made
    assert [len(p) for p in pages] == [50, 50, 20]
    # and back from the last page
    back = re.search(r'href="\?([^"]*)" rel="prev"', page)
    assert back
    previous = client.get("/dashboard/jobs/?" + back.group(1).replace("&amp;", "&"))
    assert shown_ids(previous.content.decode()) == pages[1]


def test_sorting_by_start_puts_jobs_never_started_last(browser_as) -> None:
    from django.utils import timezone

    later = make_job(status=JobStatus.COMPLETED, started_at=timezone.now())
    earlier = make_job(
        status=JobStatus.COMPLETED, started_at=timezone.now() - timezone.timedelta(hours=1)
    )
    never = make_job()
    page = browser_as("operator").get("/dashboard/jobs/?sort=-started").content.decode()
    assert shown_ids(page) == [str(later.pk), str(earlier.pk), str(never.pk)]


def test_a_damaged_page_link_says_so_and_shows_the_first_page(browser_as) -> None:
    make_job()
    page = browser_as("operator").get("/dashboard/jobs/?cursor=not-a-cursor")
    assert page.status_code == 200
    assert "this page link is damaged" in text(page)
    assert len(shown_ids(page.content.decode())) == 1


def test_the_list_costs_the_same_queries_for_3_or_50_rows(browser_as) -> None:
    client = browser_as("operator")

    def queries(rows: int) -> int:
        QueueJob.objects.all().delete()
        for _ in range(rows):
            make_job(created_by=client_user(client))
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/dashboard/jobs/").status_code == 200
        return len(captured)

    assert queries(3) == queries(50)


def client_user(client):  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import User

    return User.objects.get(pk=client.session["_auth_user_id"])


def test_bulk_retry_confirms_the_count_then_says_what_it_skipped(browser_as) -> None:
    failed = [make_job(status=JobStatus.FAILED) for _ in range(2)]
    completed = make_job(status=JobStatus.COMPLETED)
    client = browser_as("operator")
    ids = [str(j.pk) for j in [*failed, completed]]
    form = {"action": "retry", "scope": "selected", "ids": ids, "q": ""}
    confirm = client.post("/dashboard/jobs/bulk/", form)
    assert "Retry 2 jobs?" in text(confirm)
    assert "1 completed will be skipped" in text(confirm)
    assert QueueJob.objects.filter(status=JobStatus.FAILED).count() == 2  # nothing done yet
    done = client.post("/dashboard/jobs/bulk/", {**form, "confirmed": "1"}, follow=True)
    assert "2 retried; 1 skipped: completed jobs are not retried." in text(done)
    assert QueueJob.objects.filter(status=JobStatus.FAILED).count() == 0


def test_cancel_all_matching_acts_on_the_filter_not_the_page(browser_as) -> None:
    waiting = [make_job(status=JobStatus.PENDING, queue="uploads") for _ in range(3)]
    other = make_job(status=JobStatus.PENDING, queue="default")
    client = browser_as("operator")
    form = {"action": "cancel", "scope": "all", "q": "queue=uploads&status=pending"}
    confirm = client.post("/dashboard/jobs/bulk/", form)
    assert "Cancel 3 jobs?" in text(confirm)
    assert "All 3 jobs matching the filter" in text(confirm)
    done = client.post("/dashboard/jobs/bulk/", {**form, "confirmed": "1"}, follow=True)
    assert "3 cancelled." in text(done)
    statuses = {j.pk: j.status for j in QueueJob.objects.all()}
    assert {statuses[j.pk] for j in waiting} == {JobStatus.CANCELLED}
    assert statuses[other.pk] == JobStatus.PENDING


def test_a_bulk_action_on_nothing_selected_is_refused_with_a_message(browser_as) -> None:
    client = browser_as("operator")
    page = client.post(
        "/dashboard/jobs/bulk/", {"action": "cancel", "scope": "selected", "q": ""}, follow=True
    )
    assert "Select at least one job" in text(page)


def test_a_viewer_sees_no_action_and_a_forged_post_is_refused(browser_as) -> None:
    job = make_job(status=JobStatus.FAILED)
    client = browser_as("viewer")
    listing = text(client.get("/dashboard/jobs/"))
    assert str(job.pk)[:8] in listing
    assert "Apply to selected" not in listing
    detail = text(client.get(f"/dashboard/jobs/{job.pk}/"))
    assert ">Retry<" not in detail
    forged = client.post(f"/dashboard/jobs/{job.pk}/retry/")
    assert forged.status_code == 403
    assert "Not allowed" in text(forged)
    bulk = client.post("/dashboard/jobs/bulk/", {"action": "retry", "scope": "all", "q": ""})
    assert bulk.status_code == 403
    assert QueueJob.objects.get(pk=job.pk).status == JobStatus.FAILED


def test_an_uploader_sees_only_their_own_jobs(browser_as, people) -> None:
    mine = make_job(created_by=people["alice"])
    theirs = make_job(created_by=people["bob"])
    client = browser_as("alice")
    assert shown_ids(client.get("/dashboard/jobs/").content.decode()) == [str(mine.pk)]
    assert client.get(f"/dashboard/jobs/{theirs.pk}/").status_code == 404
    assert client.get(f"/dashboard/jobs/{mine.pk}/").status_code == 200
    assert client.get("/dashboard/workers/").status_code == 403
    assert client.get("/dashboard/queues/").status_code == 403


def test_an_uploader_may_cancel_their_own_job_from_its_page(browser_as, people) -> None:
    job = make_job(status=JobStatus.SCHEDULED, created_by=people["alice"])
    client = browser_as("alice")
    confirm = client.get(f"/dashboard/jobs/{job.pk}/cancel/")
    assert "Yes, cancel it" in text(confirm)
    done = client.post(f"/dashboard/jobs/{job.pk}/cancel/", follow=True)
    assert f"Job {str(job.pk)[:8]} cancelled." in text(done)
    assert QueueJob.objects.get(pk=job.pk).status == JobStatus.CANCELLED


def test_an_action_the_status_forbids_says_why(browser_as) -> None:
    job = make_job(status=JobStatus.COMPLETED)
    page = browser_as("operator").post(f"/dashboard/jobs/{job.pk}/cancel/", follow=True)
    assert "Not done: cannot cancel a job that is completed" in text(page)


def test_the_detail_shows_attempts_and_who_acted(browser_as, people) -> None:
    from jobs.services import job_retry

    job = make_job(status=JobStatus.FAILED, error_message="boom: the disk is full")
    job_retry(job=job, actor=people["operator"])
    page = text(browser_as("operator").get(f"/dashboard/jobs/{job.pk}/"))
    assert "Retried manually" in page
    assert "by operator" in page
    assert str(job.pk) in page


def test_an_unknown_job_is_a_404_page(browser_as) -> None:
    assert browser_as("operator").get(f"/dashboard/jobs/{uuid.uuid4()}/").status_code == 404


def test_the_job_panel_submits_a_scheduled_job(browser_as) -> None:
    client = browser_as("operator")
    response = client.post(
        "/dashboard/jobs/new/",
        {
            "type": "system.sleep",
            "arguments": '{"seconds": 1}',
            "priority": "5",
            "scheduled_at": "2099-01-31T08:00:00",
        },
        follow=True,
    )
    job = QueueJob.objects.get()
    assert job.status == JobStatus.SCHEDULED
    assert job.data == {"seconds": 1}
    assert job.source == "dashboard"
    assert f"Job {str(job.pk)[:8]} submitted (scheduled)." in text(response)
    assert shown_ids(response.content.decode()) == [str(job.pk)]


def test_the_job_panel_refuses_bad_json_and_a_priority_above_the_role(browser_as) -> None:
    client = browser_as("alice")  # no role: priority 10 at most
    page = client.post(
        "/dashboard/jobs/new/",
        {"type": "system.noop", "arguments": "{oops", "priority": "1"},
    )
    assert "Not valid JSON" in text(page)
    assert "Select a valid choice. 1 is not one of the available choices." in text(page)
    assert not QueueJob.objects.exists()


def test_a_viewer_has_no_job_panel(browser_as) -> None:
    assert browser_as("viewer").get("/dashboard/jobs/new/").status_code == 403


def test_the_job_panel_offers_only_the_types_clients_may_submit(browser_as) -> None:
    page = text(browser_as("operator").get("/dashboard/jobs/new/"))
    assert 'value="system.noop"' in page
    assert "uploads.import" not in page
