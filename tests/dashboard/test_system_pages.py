"""Queues and workers pages: what they show, what their actions say, and that their cost does not
grow with the rows."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jobs.models import JobStatus, QueueJob, QueueMetric, QueueWorker, WorkerStatus
from jobs.selectors import paused_queues
from tests.factories import make_job

pytestmark = pytest.mark.django_db


def text(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", response.content.decode())


def make_worker(name: str, **fields) -> QueueWorker:  # type: ignore[no-untyped-def]
    now = timezone.now()
    defaults = {
        "hostname": "host-a",
        "pid": 4242,
        "queues": ["default.p01", "default.p02", "uploads.p01"],
        "status": WorkerStatus.IDLE,
        "last_heartbeat": now,
        "started_at": now - dt.timedelta(hours=1),
    }
    return QueueWorker.objects.create(name=name, **{**defaults, **fields})


def test_workers_page_shows_live_workers_apart_from_dead_ones(browser_as) -> None:
    job = make_job(status=JobStatus.ACTIVE)
    make_worker("w-busy", status=WorkerStatus.BUSY, current_job=job, busy_seconds=1800)
    make_worker("w-dead", status=WorkerStatus.DEAD)
    page = text(browser_as("viewer").get("/dashboard/workers/"))
    live, gone = page.split("<h2>Stopped and dead</h2>")
    assert "w-busy" in live
    assert "w-dead" not in live
    assert "w-dead" in gone
    assert "default, uploads" in live  # the ledger's queues, not one RQ queue per priority
    assert "50%" in live  # busy half of its hour
    assert str(job.pk)[:8] in live


def test_workers_page_costs_the_same_queries_for_2_or_20_workers(browser_as) -> None:
    client = browser_as("viewer")

    def queries(n: int) -> int:
        QueueWorker.objects.all().delete()
        for i in range(n):
            make_worker(f"w{i}", current_job=make_job(status=JobStatus.ACTIVE))
        with CaptureQueriesContext(connection) as captured:
            client.get("/dashboard/workers/")
        return len(captured)

    assert queries(2) == queries(20)


def test_queues_page_shows_the_backlog_by_priority(browser_as) -> None:
    for priority in (1, 1, 5):
        make_job(status=JobStatus.WAITING, priority=priority)
    page = text(browser_as("operator").get("/dashboard/queues/"))
    default = page.split('id="q-default"')[1]
    assert re.search(r"<td>1</td>\s*<td class=\"num\"><a [^>]*>2</a>", default)
    assert re.search(r"<td>5</td>\s*<td class=\"num\"><a [^>]*>1</a>", default)


def test_an_operator_pauses_and_resumes_a_queue(browser_as) -> None:
    client = browser_as("operator")
    paused = client.post("/dashboard/queues/uploads/pause/", follow=True)
    assert "Queue uploads paused: it starts nothing new." in text(paused)
    assert "Resume uploads" in text(paused)
    assert paused_queues() == {"uploads"}
    resumed = client.post("/dashboard/queues/uploads/resume/", follow=True)
    assert "Queue uploads resumed." in text(resumed)
    assert paused_queues() == set()


def test_suspend_pauses_every_queue(browser_as) -> None:
    page = browser_as("operator").post("/dashboard/processing/suspend/", follow=True)
    assert "Processing is suspended" in text(page)
    assert paused_queues() == {"uploads", "default"}


def test_a_viewer_cannot_pause_a_queue(browser_as) -> None:
    client = browser_as("viewer")
    assert "Pause uploads" not in text(client.get("/dashboard/queues/"))
    assert client.post("/dashboard/queues/uploads/pause/").status_code == 403
    assert paused_queues() == set()


def test_retry_all_failed_retries_only_that_queue(browser_as) -> None:
    here = make_job(status=JobStatus.FAILED, queue="uploads")
    there = make_job(status=JobStatus.FAILED, queue="default")
    page = browser_as("operator").post("/dashboard/queues/uploads/retry-failed/", follow=True)
    assert "Queue uploads: 1 retried." in text(page)
    assert QueueJob.objects.get(pk=here.pk).status != JobStatus.FAILED
    assert QueueJob.objects.get(pk=there.pk).status == JobStatus.FAILED


def test_retry_all_failed_of_an_unknown_queue_retries_nothing(browser_as) -> None:
    failed = make_job(status=JobStatus.FAILED, queue="default")
    page = browser_as("operator").post("/dashboard/queues/nowhere/retry-failed/", follow=True)
    assert "Queue nowhere: 0 retried." in text(page)
    assert QueueJob.objects.get(pk=failed.pk).status == JobStatus.FAILED


def test_clean_previews_the_count_then_removes_exactly_those(browser_as) -> None:
    old = timezone.now() - dt.timedelta(days=3)
    doomed = [make_job(status=JobStatus.COMPLETED, completed_at=old) for _ in range(2)]
    recent = make_job(status=JobStatus.COMPLETED, completed_at=timezone.now())
    failed = make_job(status=JobStatus.FAILED, completed_at=old)
    client = browser_as("operator")
    preview = client.get(
        "/dashboard/queues/clean/", {"older_than_hours": "24", "status": ["completed"]}
    )
    assert "2 jobs would be removed" in text(preview)
    assert QueueJob.objects.count() == 4
    done = client.post(
        "/dashboard/queues/clean/",
        {"older_than_hours": "24", "status": ["completed"], "confirmed": "1"},
        follow=True,
    )
    assert "2 jobs removed." in text(done)
    left = set(QueueJob.objects.values_list("pk", flat=True))
    assert left == {recent.pk, failed.pk}
    assert not left & {j.pk for j in doomed}


def test_overview_charts_draw_the_metric_snapshots(browser_as) -> None:
    now = timezone.now()
    for minutes in range(0, 50, 5):
        QueueMetric.objects.create(
            queue="default",
            captured_at=now - dt.timedelta(minutes=minutes),
            interval_seconds=30,
            completed=30,
            failed=3,
            wait_p50_ms=100,
            wait_p95_ms=900,
            run_p50_ms=20,
            run_p95_ms=1500,
        )
    page = text(browser_as("operator").get("/dashboard/?window=1h"))
    assert "jobs finished: 66.0/min" in page  # 33 jobs in a 30 s interval
    assert "p95: 900 ms" in page
    assert "p95: 1.5 s" in page
    assert "failed share: 9.1%" in page
    assert page.count("<polyline") == 6


def test_overview_costs_the_same_queries_for_few_or_many_queues_and_workers(browser_as) -> None:
    client = browser_as("operator")

    def queries(n: int) -> int:
        for i in range(n):
            make_worker(f"w{n}-{i}")
            make_job(queue=f"extra{i}")
        with CaptureQueriesContext(connection) as captured:
            client.get("/dashboard/")
        return len(captured)

    assert queries(1) == queries(10)


def test_the_admin_and_the_dashboard_link_to_each_other(browser_as) -> None:
    job = make_job()
    client = browser_as("operator")
    client.force_login(client_user_superuser())
    assert 'href="/dashboard/"' in client.get("/admin/").content.decode()
    assert 'href="/dashboard/jobs/"' in client.get("/admin/jobs/queuejob/").content.decode()
    assert 'href="/dashboard/workers/"' in client.get("/admin/jobs/queueworker/").content.decode()
    change = client.get(f"/admin/jobs/queuejob/{job.pk}/change/").content.decode()
    assert f"/dashboard/jobs/{job.pk}/" in client.get(_view_on_site(change)).url
    assert 'href="/admin/"' in client.get("/dashboard/").content.decode()


def client_user_superuser():  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import User

    return User.objects.create_superuser("root", password="pw-root-1")


def _view_on_site(page: str) -> str:
    found = re.search(r'href="([^"]+)" class="viewsitelink"', page)
    assert found, "no View on site link"
    return found.group(1)
