"""/api/v1/bulk-upload/: the seeds' upload endpoints, end to end with the import job."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from jobs import runner
from jobs.models import JobStatus, QueueJob
from tests.factories import make_job
from tests.uploads.files import MEMBER_HEADER, members, write_csv
from uploads.live import upload_messages
from uploads.models import Member
from uploads.reports import XLSX

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("media_root")]
BASE = "/api/v1/bulk-upload"


def csv_file(tmp_path: Path, bad: int = 0) -> io.BytesIO:
    rows = members(4)
    for row in rows[:bad]:
        row[5] = "Atlantis"
    data = io.BytesIO(write_csv(tmp_path / "m.csv", [MEMBER_HEADER, *rows]).read_bytes())
    data.name = "members.csv"
    return data


def process(client, upload: io.BytesIO, **fields: object) -> dict:
    response = client.post(
        f"{BASE}/process", {"file": upload, "import_type": "members", **fields}, format="multipart"
    )
    assert response.status_code == 202, response.json()
    return response.json()["data"]


def run(job_id: str) -> None:
    runner.execute(job_id)


def test_process_queues_the_upload_and_status_tells_all(api, tmp_path: Path) -> None:
    queued = process(api["alice"], csv_file(tmp_path, bad=1))
    assert queued["status"] == "waiting"
    assert queued["file_name"] == "members.csv"
    run(queued["job_id"])
    status = api["alice"].get(f"{BASE}/status/{queued['job_id']}").json()["data"]
    assert status["status"] == "completed"
    assert status["uploaded_by"] == "alice"
    assert status["validation_stats"] == {
        "total_rows": 4,
        "valid_rows": 3,
        "invalid_rows": 1,
        "duplicate_rows": 0,
    }
    assert status["database_stats"] == {"created": 3, "updated": 0, "unchanged": 0, "failed": 0}
    assert status["progress"]["percent"] == 100
    assert status["processing_duration_ms"] >= 0
    assert status["error_report_url"] == f"/api/v1/bulk-upload/errors/{queued['job_id']}"


def test_error_report_downloads_as_xlsx(api, tmp_path: Path) -> None:
    queued = process(api["alice"], csv_file(tmp_path, bad=2))
    run(queued["job_id"])
    response = api["alice"].get(f"{BASE}/errors/{queued['job_id']}")
    assert response.status_code == 200
    assert 'filename="members-errors.xlsx"' in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == [2, 3]


def test_error_report_of_an_unfinished_import_is_409_not_ready(api, tmp_path: Path) -> None:
    queued = process(api["alice"], csv_file(tmp_path, bad=2))
    QueueJob.objects.filter(pk=queued["job_id"]).update(status=JobStatus.ACTIVE)
    response = api["alice"].get(f"{BASE}/errors/{queued['job_id']}")
    assert response.status_code == 409
    error = response.json()["error"]
    assert (error["code"], error["message"]) == (
        "invalid_state",
        "the report is not ready: the job is active",
    )


def test_error_report_of_an_import_without_bad_rows_is_404(api, tmp_path: Path) -> None:
    queued = process(api["alice"], csv_file(tmp_path))
    run(queued["job_id"])
    response = api["alice"].get(f"{BASE}/errors/{queued['job_id']}")
    assert response.status_code == 404
    assert response.json()["error"]["message"] == (
        "this upload has no error report: it had no bad rows"
    )


def test_the_live_message_and_the_status_give_the_same_url_and_duration(api, tmp_path) -> None:  # type: ignore[no-untyped-def]
    queued = process(api["alice"], csv_file(tmp_path, bad=1))
    run(queued["job_id"])
    status = api["alice"].get(f"{BASE}/status/{queued['job_id']}").json()["data"]
    (complete,) = upload_messages(QueueJob.objects.get(pk=queued["job_id"]))
    assert complete["type"] == "bulk_upload_complete"
    assert complete["error_report_url"] == status["error_report_url"]
    assert complete["error_report_url"] == f"/api/v1/bulk-upload/errors/{queued['job_id']}"
    assert complete["processing_duration_ms"] == status["processing_duration_ms"]


def test_records_are_accepted_as_json(api) -> None:
    records = [dict(zip(MEMBER_HEADER, row, strict=True)) for row in members(2)]
    response = api["alice"].post(
        f"{BASE}/process", {"import_type": "members", "records": records}, format="json"
    )
    assert response.status_code == 202
    run(response.json()["data"]["job_id"])
    assert Member.objects.count() == 2


@pytest.mark.parametrize(
    ("content", "name", "status", "code"),
    [
        (b"", "empty.csv", 400, "empty"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.xls", 415, "unsupported_type"),
        (b"%PDF-1.4\x00\x00", "scan.pdf", 415, "unsupported_type"),
    ],
)
def test_bad_files_are_refused_with_the_right_code(api, content, name, status, code) -> None:
    upload = io.BytesIO(content)
    upload.name = name
    response = api["alice"].post(f"{BASE}/process", {"file": upload}, format="multipart")
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_too_large_is_413(api, settings, tmp_path: Path) -> None:
    settings.UPLOAD_MAX_BYTES = 100
    response = api["alice"].post(
        f"{BASE}/process", {"file": csv_file(tmp_path)}, format="multipart"
    )
    assert response.status_code == 413
    assert "larger than" in response.json()["error"]["message"]


def test_a_file_or_records_is_required(api) -> None:
    response = api["alice"].post(f"{BASE}/process", {"import_type": "members"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "file: send a file (multipart) or records (JSON), exactly one of them"
    )


def test_unknown_import_type_is_400(api, tmp_path: Path) -> None:
    response = api["alice"].post(
        f"{BASE}/process", {"file": csv_file(tmp_path), "import_type": "pets"}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("import_type:")


def test_someone_elses_upload_is_404(api, tmp_path: Path) -> None:
    queued = process(api["alice"], csv_file(tmp_path))
    assert api["bob"].get(f"{BASE}/status/{queued['job_id']}").status_code == 404
    assert api["viewer"].get(f"{BASE}/status/{queued['job_id']}").status_code == 200


def test_cancel_a_queued_upload(api, tmp_path: Path) -> None:
    queued = process(api["alice"], csv_file(tmp_path))
    response = api["alice"].post(f"{BASE}/cancel/{queued['job_id']}")
    assert response.json()["data"]["status"] == "cancelled"
    again = api["alice"].post(f"{BASE}/cancel/{queued['job_id']}")
    assert again.status_code == 409


def test_template_download(api) -> None:
    response = api["alice"].get(f"{BASE}/template/devices")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in sheet[1]] == ["imei", "brand", "model", "status"]
    assert api["alice"].get(f"{BASE}/template/pets").status_code == 404


def test_template_downloads_as_an_xlsx_named_for_its_import_type(api) -> None:
    response = api["alice"].get(f"{BASE}/template/devices")
    assert response["Content-Disposition"] == 'attachment; filename="devices-template.xlsx"'
    assert response["Content-Type"] == XLSX


def test_history_statistics_and_queue_endpoints(api, tmp_path: Path) -> None:
    queued = process(api["alice"], csv_file(tmp_path))
    run(queued["job_id"])
    history = api["alice"].get(f"{BASE}/history").json()["data"]
    assert [h["job_id"] for h in history] == [queued["job_id"]]
    stats = api["alice"].get(f"{BASE}/statistics").json()["data"]
    assert (stats["total_uploads"], stats["rows_created"]) == (1, 4)
    queue = api["alice"].get(f"{BASE}/queue/stats").json()["data"]
    assert (queue["completed"], queue["total"]) == (1, 1)
    assert len(api["alice"].get(f"{BASE}/queue/jobs?limit=5").json()["data"]) == 1
    assert api["alice"].get(f"{BASE}/queue/jobs?limit=0").status_code == 400


def test_the_upload_queue_pause_and_resume_name_the_upload_queue(api) -> None:
    paused = api["operator"].post(f"{BASE}/queue/pause").json()
    assert (paused["message"], paused["data"]) == (
        "upload queue paused",
        {"queue": "uploads", "paused": True},
    )
    assert api["operator"].post(f"{BASE}/queue/resume").json()["message"] == "upload queue resumed"


def test_queue_operations_are_for_operators(api) -> None:
    assert api["viewer"].post(f"{BASE}/queue/pause").status_code == 403
    assert api["operator"].post(f"{BASE}/queue/pause").json()["data"]["paused"] is True
    assert api["operator"].post(f"{BASE}/queue/resume").json()["data"]["paused"] is False
    two_days_ago = timezone.now() - dt.timedelta(days=2)
    make_job(queue="uploads", status=JobStatus.FAILED, completed_at=two_days_ago)  # cleaned
    recent = make_job(queue="uploads", status=JobStatus.COMPLETED, completed_at=timezone.now())
    elsewhere = make_job(queue="default", status=JobStatus.COMPLETED, completed_at=two_days_ago)
    cleaned = api["operator"].post(f"{BASE}/queue/clean", {"gracePeriodHours": 24}, format="json")
    assert cleaned.json()["data"] == {"cleaned": 1}
    assert set(QueueJob.objects.values_list("pk", flat=True)) == {recent.pk, elsewhere.pk}
    bad = api["operator"].post(f"{BASE}/queue/clean", {"gracePeriodHours": -1}, format="json")
    assert bad.status_code == 400
