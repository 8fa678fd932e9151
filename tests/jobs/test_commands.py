"""Operator commands: clear summaries, and a non-zero exit with a message on bad arguments."""

from __future__ import annotations

import datetime as dt
import json
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from jobs.models import JobStatus, QueueJob, QueueState
from tests.conftest import manage
from tests.contract import QUEUE_STAT_NAMES
from tests.factories import make_job

pytestmark = pytest.mark.django_db(transaction=True)


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().strip()


def old(days: int = 3) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def test_cleanup_jobs_deletes_old_finished_jobs_and_says_how_many() -> None:
    make_job(status=JobStatus.COMPLETED, completed_at=old())
    make_job(status=JobStatus.FAILED, completed_at=old())
    make_job(status=JobStatus.FAILED, completed_at=timezone.now())
    assert (
        run("cleanup_jobs", "--older-than", "24h", "--status", "completed,failed", "--dry-run")
        == "would delete 2 completed/failed jobs older than 24h"
    )
    assert QueueJob.objects.count() == 3
    assert run("cleanup_jobs", "--older-than", "24h", "--status", "completed,failed") == (
        "deleted 2 completed/failed jobs older than 24h"
    )
    assert QueueJob.objects.count() == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--older-than", "yesterday"], "use a number and a unit, e.g. 30m, 24h, 7d"),
        (["--status", "done"], "unknown status done"),
        (["--status", "active"], "only finished jobs can be cleaned, not active"),
    ],
)
def test_cleanup_jobs_refuses_bad_arguments(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        run("cleanup_jobs", *args)


def test_bad_arguments_exit_non_zero_with_the_message() -> None:
    done = manage("cleanup_jobs", "--older-than", "soon")
    assert done.returncode == 1
    assert "--older-than 'soon': use a number and a unit" in done.stderr


def test_retry_failed_retries_matching_failed_jobs() -> None:
    make_job(status=JobStatus.FAILED, type="system.fail")
    make_job(status=JobStatus.FAILED, type="system.noop")
    make_job(status=JobStatus.CANCELLED, type="system.fail")
    assert run("retry_failed", "--type", "system.fail", "--dry-run") == "would retry 1 job"
    assert run("retry_failed", "--type", "system.fail") == "retried 1 job"
    assert QueueJob.objects.filter(status=JobStatus.WAITING).count() == 1
    assert run("retry_failed", "--include-cancelled") == "retried 2 jobs"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--type", "nope"], "--type: unknown value 'nope'; allowed: "),
        (["--queue", "nope"], "--queue: unknown value 'nope'; allowed: uploads, default"),
    ],
)
def test_retry_failed_refuses_an_unknown_type_or_queue(args: list[str], message: str) -> None:
    # A CommandError is exit status 1 with its message on stderr (as for cleanup_jobs above).
    make_job(status=JobStatus.FAILED)
    with pytest.raises(CommandError, match=re.escape(message)):
        run("retry_failed", *args)
    assert QueueJob.objects.get().status == JobStatus.FAILED


def test_queue_stats_prints_a_table_and_json() -> None:
    make_job(queue="uploads", status=JobStatus.FAILED)
    table = run("queue_stats")
    assert table.splitlines()[0].split() == ["queue", *QUEUE_STAT_NAMES]
    assert table.splitlines()[2].split() == ["uploads", "0", "0", "0", "1", "0", "0", "0", "1"]
    assert json.loads(run("queue_stats", "--json"))["failed"] == 1


def test_queue_stats_columns_line_up_whatever_the_labels() -> None:
    make_job(queue="uploads", status=JobStatus.COMPLETED)
    make_job(queue="a-queue-with-a-long-name", status=JobStatus.FAILED)
    run("queue_pause", "uploads")
    lines = run("queue_stats").splitlines()
    table = [line for line in lines if line and not line.startswith(("-", "workers:"))]
    assert any(line.startswith("uploads (paused)") for line in table)
    column_ends = {tuple(m.end() for m in re.finditer(r"\S+", line))[-8:] for line in table}
    assert len(column_ends) == 1, "\n".join(lines)


def test_queue_pause_and_resume() -> None:
    assert run("queue_pause", "uploads") == "queue uploads paused"
    assert QueueState.objects.get(queue="uploads").paused is True
    assert run("queue_resume", "uploads") == "queue uploads resumed"
    assert QueueState.objects.get(queue="uploads").paused is False
    with pytest.raises(CommandError, match="unknown queue 'nope'"):
        run("queue_pause", "nope")


def test_queue_maintenance_once_prints_its_summary() -> None:
    out = run("queue_maintenance", "--once")
    assert out.startswith("maintenance: dispatched 0, dead workers 0,")
