"""A dry run and the import that confirmed it share one stored file: it stays while either does."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone

from jobs import runner
from jobs.models import JobStatus, QueueJob
from jobs.services import jobs_clean
from tests.uploads.files import MEMBER_HEADER, members, write_csv
from uploads.models import Upload
from uploads.services import upload_confirm

pytestmark = pytest.mark.django_db(transaction=True)


def age(upload: Upload, days: int) -> None:
    QueueJob.objects.filter(pk=upload.job_id).update(
        completed_at=timezone.now() - dt.timedelta(days=days), status=JobStatus.COMPLETED
    )


def test_purging_a_confirmed_dry_run_keeps_the_file_its_import_still_uses(
    tmp_path: Path, run_import
) -> None:
    dry = run_import(write_csv(tmp_path / "m.csv", [MEMBER_HEADER, *members(2)]), dry_run=True)
    confirmed = upload_confirm(upload=dry)
    runner.execute(str(confirmed.job_id))
    stored = Path(dry.file.path)
    age(dry, 40)
    assert jobs_clean(older_than=dt.timedelta(days=30)) == 1
    assert stored.exists()
    confirmed.refresh_from_db()
    assert confirmed.file.path == str(stored)
    assert confirmed.dry_run_of is None
    age(confirmed, 40)
    assert jobs_clean(older_than=dt.timedelta(days=30)) == 1
    assert not stored.exists()
    assert not Upload.objects.exists()
