"""upload_confirm: a dry run is imported once, even when two confirmations come at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection

from jobs.errors import InvalidTransition
from tests.conftest import at_once
from tests.uploads.files import MEMBER_HEADER, members, write_csv
from uploads.models import Upload
from uploads.services import AlreadyConfirmed, upload_confirm

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif(
    connection.vendor == "sqlite", reason="SQLite runs one writer at a time: no race to lose"
)
def test_two_confirmations_at_once_queue_one_import(tmp_path: Path, run_import) -> None:
    dry = run_import(write_csv(tmp_path / "m.csv", [MEMBER_HEADER, *members(3)]), dry_run=True)
    outcomes: list[object] = []

    def confirm() -> None:
        try:
            outcomes.append(upload_confirm(upload=dry))
        except InvalidTransition as exc:
            outcomes.append(exc)

    at_once(confirm, confirm)
    (imported,) = [o for o in outcomes if isinstance(o, Upload)]
    (refused,) = [o for o in outcomes if not isinstance(o, Upload)]
    assert isinstance(refused, AlreadyConfirmed)
    assert str(refused) == f"this dry run was already confirmed: job {imported.job_id} imports it"
    assert Upload.objects.filter(dry_run_of=dry).count() == 1


def test_the_confirming_upload_names_both_jobs(tmp_path: Path, run_import) -> None:
    dry = run_import(write_csv(tmp_path / "m.csv", [MEMBER_HEADER, *members(2)]), dry_run=True)
    confirmed = upload_confirm(upload=dry, priority=9)
    assert confirmed.pk != dry.pk
    assert confirmed.job_id != dry.job_id
    assert confirmed.dry_run_of is not None
    assert confirmed.dry_run_of.job_id == dry.job_id
    assert (confirmed.job.priority, confirmed.dry_run, confirmed.file.name) == (
        9,
        False,
        dry.file.name,
    )
    dry.refresh_from_db()
    assert dry.confirmed_by.job_id == confirmed.job_id
