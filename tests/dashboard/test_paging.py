from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dashboard.paging import Page, page_of
from jobs.models import JobStatus, QueueJob
from tests.factories import make_job

pytestmark = pytest.mark.django_db


def jobs_page(
    cursor: str | None = "", *, column: str = "created_at", descending: bool = True, size: int = 2
) -> Page:
    """One page of every job; no cursor is the first page."""
    return page_of(
        QueueJob.objects.all(), column=column, descending=descending, cursor=cursor or "", size=size
    )


def walk(column: str, *, descending: bool, size: int) -> list[list[str]]:
    pages, cursor = [], ""
    while True:
        page = jobs_page(cursor, column=column, descending=descending, size=size)
        pages.append([str(job.pk) for job in page.rows])
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor


def test_next_cursors_walk_every_job_once_newest_first_ties_by_id() -> None:
    moment = timezone.now()
    jobs = [make_job() for _ in range(7)]
    for n, job in enumerate(jobs):  # three share one creation time
        QueueJob.objects.filter(pk=job.pk).update(created_at=moment - dt.timedelta(minutes=n // 3))
    newest_first = sorted(
        QueueJob.objects.all(), key=lambda j: (j.created_at, str(j.pk)), reverse=True
    )
    pages = walk("created_at", descending=True, size=3)
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [pk for page in pages for pk in page] == [str(job.pk) for job in newest_first]


def test_previous_cursor_returns_the_page_before() -> None:
    for _ in range(5):
        make_job()
    first = jobs_page()
    second = jobs_page(first.next_cursor)
    back = jobs_page(second.prev_cursor)
    assert [job.pk for job in back.rows] == [job.pk for job in first.rows]


def test_jobs_never_started_come_last_across_pages() -> None:
    now = timezone.now()
    started = [
        make_job(status=JobStatus.COMPLETED, started_at=now - dt.timedelta(minutes=n))
        for n in range(3)
    ]
    never = {str(make_job().pk) for _ in range(3)}
    pages = walk("started_at", descending=True, size=2)
    shown = [pk for page in pages for pk in page]
    assert shown[:3] == [str(job.pk) for job in started]
    assert set(shown[3:]) == never
    assert len(shown) == 6
