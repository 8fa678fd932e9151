"""PostgreSQL ends the project's connections (a failover, a restart, an administrator) during an
import and while the workers idle: the workers reconnect instead of exiting, the import ends
with exactly the file's rows, and every run of the handler is counted in the job's history."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection

from jobs.models import EventKind, JobStatus
from tests.conftest import Processes
from tests.uploads.files import members
from tests.uploads.helpers import import_under_way, wait_for_status
from uploads.models import Member, Upload

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture(autouse=True)
def postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("terminating backends needs PostgreSQL (run with DATABASE_URL=postgres://...)")


def terminate_backends() -> int:
    """End every other session on the test database (only ours: other databases are left)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return int(cursor.fetchone()[0])


def test_terminated_connections_during_an_import_lose_nothing(
    own_processes: Processes, tmp_path: Path, media_root: Path
) -> None:
    rows = members(20_000)
    upload, workers = import_under_way(
        rows, own_processes, folder=tmp_path, media_root=media_root, workers=("w1", "w2")
    )
    ended = terminate_backends()
    assert ended >= 2  # the work horse's, the worker's, maintenance's
    wait_for_status(upload, JobStatus.COMPLETED, own_processes)
    ended += terminate_backends()  # and once more with the workers idle

    assert [w.poll() for w in workers] == [None, None], own_processes.logs()
    assert Member.objects.count() == 20_000
    assert set(Member.objects.values_list("id_number", flat=True)) == {r[0] for r in rows}
    job = Upload.objects.get(pk=upload.pk).job
    runs = job.events.filter(kind=EventKind.STARTED).count()
    assert job.attempts == runs >= 2
    print(f"terminated {ended} sessions in 2 rounds; the import ran {runs} times, all counted")
    assert Upload.objects.get(pk=upload.pk).database_stats["created"] == 20_000
