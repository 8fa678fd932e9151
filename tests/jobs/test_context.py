"""What a handler sees: its data, throttled progress on the row, cancellation, a logger whose
lines land in the job's event log. The runner runs in this process (RQ's self-claim path)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from jobs import runner
from jobs.context import JobContext
from jobs.models import EventKind, JobStatus, QueueJob
from jobs.registry import job_type, unregister
from jobs.services import JobSpec, job_submit

pytestmark = pytest.mark.django_db(transaction=True)
seen: dict[str, object] = {}


@pytest.fixture(autouse=True)
def handlers() -> Iterator[None]:
    @job_type("test.count", queue="default")
    def count(ctx: JobContext) -> dict[str, int]:
        total = int(ctx.data["n"])
        for i in range(total):
            ctx.progress(processed=i + 1, total=total, stage="counting", message=f"row {i + 1}")
        ctx.log.info("counted %d rows", total)
        return {"counted": total}

    @job_type("test.cancel_midway", queue="default")
    def cancel_midway(ctx: JobContext) -> None:
        QueueJob.objects.filter(pk=ctx.job.pk).update(status=JobStatus.CANCELLED)
        seen["cancelled"] = ctx.is_cancelled()
        ctx.check_cancelled()
        seen["after"] = True  # never reached

    yield
    unregister("test.count")
    unregister("test.cancel_midway")
    seen.clear()


def run(spec: JobSpec) -> QueueJob:
    job = job_submit(spec=spec)
    runner.execute(str(job.pk))
    job.refresh_from_db()
    return job


def test_progress_ends_on_the_row_with_stage_and_counts() -> None:
    job = run(JobSpec(type="test.count", data={"n": 5000}))
    assert job.status == JobStatus.COMPLETED
    assert job.result == {"counted": 5000}
    assert (job.progress_percent, job.progress_processed, job.progress_total) == (100, 5000, 5000)
    assert (job.progress_stage, job.progress_message) == ("counting", "row 5000")


def test_handler_log_lines_land_in_the_event_log() -> None:
    job = run(JobSpec(type="test.count", data={"n": 3}))
    log = job.events.get(kind=EventKind.LOG)
    assert (log.message, log.level, log.attempt) == ("counted 3 rows", "INFO", 1)
    assert list(job.events.values_list("kind", flat=True)) == ["started", "log", "completed"]


def test_a_cancelled_handler_stops_at_its_next_check() -> None:
    job = run(JobSpec(type="test.cancel_midway"))
    assert seen == {"cancelled": True}
    assert job.status == JobStatus.CANCELLED
    assert EventKind.COMPLETED not in job.events.values_list("kind", flat=True)


def test_a_result_that_is_not_json_fails_permanently() -> None:
    @job_type("test.bad_result", queue="default")
    def bad(ctx: JobContext) -> object:
        return {"when": object()}

    try:
        job = run(JobSpec(type="test.bad_result"))
    finally:
        unregister("test.bad_result")
    assert job.status == JobStatus.FAILED
    assert job.attempts == 1
    assert job.error_message.startswith("the handler's result is not JSON-serialisable")


def test_progress_reports_are_throttled_not_written_per_call() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    job = job_submit(spec=JobSpec(type="test.count", data={"n": 20000}))
    with CaptureQueriesContext(connection) as queries:
        runner.execute(str(job.pk))
    writes = [q for q in queries.captured_queries if q["sql"].startswith('UPDATE "queue_jobs"')]
    assert len(writes) < 20  # claim, completion and a few progress flushes: not 20000


def test_an_error_carrying_nul_and_lone_surrogates_is_recorded_with_escapes() -> None:
    @job_type("test.poison", queue="default")
    def poison(ctx: JobContext) -> None:
        ctx.log.warning("column id_number\x00 is \ud800")
        raise RuntimeError("bad key 'id_number\x00' and \ud800")

    try:
        job = run(JobSpec(type="test.poison", max_attempts=1))
    finally:
        unregister("test.poison")
    assert job.status == JobStatus.FAILED
    assert job.error_message == "RuntimeError: bad key 'id_number\\u0000' and \\ud800"
    assert "id_number\\u0000" in job.traceback
    messages = list(job.events.values_list("message", flat=True))
    assert "column id_number\\u0000 is \\ud800" in messages


def test_a_result_that_cannot_be_stored_fails_permanently_naming_the_field() -> None:
    @job_type("test.nul_result", queue="default")
    def nul_result(ctx: JobContext) -> dict[str, str]:
        return {"name": "a\x00b"}

    try:
        job = run(JobSpec(type="test.nul_result"))
    finally:
        unregister("test.nul_result")
    assert (job.status, job.attempts) == (JobStatus.FAILED, 1)
    assert "result.name: contains a NUL character" in job.error_message
