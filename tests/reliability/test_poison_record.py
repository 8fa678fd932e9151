"""A poison record reaches a real worker: the job fails once with the reason, and the worker
lives on to run the next job."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jobs.models import JobStatus, QueueJob
from jobs.services import JobSpec, job_submit
from tests.conftest import Processes, wait_until
from uploads.models import Upload
from uploads.services import upload_create

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


def test_a_nul_in_a_column_name_fails_its_job_once_and_the_worker_lives(
    own_processes: Processes, tmp_path: Path, media_root: Path
) -> None:
    worker = own_processes.worker(env={"MEDIA_ROOT": str(media_root)})
    path = tmp_path / "poison.json"
    path.write_text(json.dumps([{"id_number\u0000": "8001015009087", "first_name": "\ud800"}]))
    with path.open("rb") as stream:
        upload = upload_create(stream=stream, original_name="poison.json", import_type="members")

    def failed() -> bool:
        return Upload.objects.get(pk=upload.pk).job.status == JobStatus.FAILED

    wait_until(failed, 60, interval=0.2, what=f"the import to fail\n{own_processes.logs()}")
    job = Upload.objects.get(pk=upload.pk).job
    assert job.attempts == 1
    assert "no header row with the required columns" in job.error_message
    assert "id_number\\u0000" in job.error_message

    after = job_submit(spec=JobSpec(type="system.noop"))
    wait_until(
        lambda: QueueJob.objects.get(pk=after.pk).status == JobStatus.COMPLETED,
        30,
        what=f"the next job\n{own_processes.logs()}",
    )
    assert worker.poll() is None
