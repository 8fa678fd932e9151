"""A poison record reaches a real worker: the job fails once with the reason, and the worker
lives on to run the next job."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jobs.models import JobStatus, QueueJob
from jobs.services import JobSpec, job_submit
from tests.conftest import Processes, wait_until
from tests.uploads.helpers import upload_file, wait_for_status
from uploads.models import Upload

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_a_nul_in_a_column_name_fails_its_job_once_and_the_worker_lives(
    own_processes: Processes, tmp_path: Path, media_root: Path
) -> None:
    worker = own_processes.worker(env={"MEDIA_ROOT": str(media_root)})
    path = tmp_path / "poison.json"
    path.write_text(json.dumps([{"id_number\u0000": "8001015009087", "first_name": "\ud800"}]))
    upload = upload_file(path)
    wait_for_status(upload, JobStatus.FAILED, own_processes, timeout=60)
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
