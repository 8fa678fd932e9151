"""Uploads with real forking workers: a killed work horse, and import_file --wait."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from jobs.models import EventKind, JobStatus
from tests.conftest import Processes, database_url, manage
from tests.jobs.test_worker import horse_of
from tests.uploads.files import MEMBER_HEADER, members, write_csv
from tests.uploads.helpers import committed_rows, import_under_way, wait_for_status
from uploads.models import Member

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_horse_killed_mid_import_ends_with_exactly_the_files_rows(
    processes: Processes, tmp_path: Path, media_root: Path
) -> None:
    rows = members(20_000)
    upload, [worker] = import_under_way(rows, processes, folder=tmp_path, media_root=media_root)
    assert committed_rows(upload) < 20_000
    os.kill(horse_of(worker), signal.SIGKILL)
    job = upload.job
    wait_for_status(upload, JobStatus.COMPLETED, processes)
    upload.refresh_from_db()
    assert Member.objects.count() == 20_000
    assert set(Member.objects.values_list("id_number", flat=True)) == {r[0] for r in rows}
    assert upload.validation_stats == {
        "total_rows": 20_000,
        "valid_rows": 20_000,
        "invalid_rows": 0,
        "duplicate_rows": 0,
    }
    assert upload.database_stats["created"] == 20_000
    job.refresh_from_db()
    assert job.attempts == 2
    assert job.events.filter(kind=EventKind.FAILED, message__startswith="work horse died").exists()


def test_import_file_waits_with_progress_and_prints_the_summary(
    processes: Processes, tmp_path: Path, media_root: Path
) -> None:
    rows = members(5)
    rows[4][5] = "Atlantis"
    path = write_csv(tmp_path / "m.csv", [MEMBER_HEADER, *rows])
    processes.worker(env={"MEDIA_ROOT": str(media_root)})
    env = {
        "DATABASE_URL": database_url(),
        "REDIS_URL": processes.redis_url,
        "MEDIA_ROOT": str(media_root),
    }
    done = manage("import_file", str(path), "--type", "members", "--wait", env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "completed: 5 rows, 4 valid, 1 invalid, 0 duplicate; created 4" in done.stdout
    assert "100.0%" in done.stdout
    assert "error report: " in done.stdout
    # Not a terminal: plain progress lines, no carriage returns filling a log file.
    assert "\r" not in done.stdout
    progress = [line for line in done.stdout.splitlines() if line[:6].strip().endswith("%")]
    assert 1 <= len(progress) <= 2, done.stdout


def test_import_file_refuses_a_missing_file() -> None:
    done = manage("import_file", "/no/such.xlsx", "--type", "members")
    assert done.returncode == 1
    assert "/no/such.xlsx: no such file" in done.stderr
