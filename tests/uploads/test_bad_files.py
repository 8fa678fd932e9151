"""Files whose content is at fault: the job fails once, permanently, with a message a person
understands, or the row is reported invalid. Never a retry of something no retry can fix, and
never a failure that cannot be recorded."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import load_workbook

from jobs.models import JobStatus
from tests.uploads.files import MEMBER_HEADER, members, write_csv
from tests.uploads.helpers import upload_file
from uploads.models import Member, Upload
from uploads.readers import FileRefused

pytestmark = pytest.mark.django_db(transaction=True)
Run = Callable[..., Upload]


def _csv_with(tmp_path: Path, rows: list[list[str]]) -> Path:
    return write_csv(tmp_path / "members.csv", [MEMBER_HEADER, *rows])


def _failed_once(upload: Upload) -> str:
    assert upload.job is not None
    assert (upload.job.status, upload.job.attempts) == (JobStatus.FAILED, 1)
    return upload.job.error_message


def _invalid_rows(upload: Upload) -> list[tuple[int, str, str]]:
    return list(upload.errors.values_list("row_number", "column", "message"))


def test_a_nul_in_a_csv_cell_past_the_first_8_kb_makes_the_row_invalid(
    tmp_path: Path, run_import: Run
) -> None:
    rows = members(200)
    rows[150][1] = "Na\x00me"
    upload = run_import(_csv_with(tmp_path, rows))
    assert upload.job.status == JobStatus.COMPLETED
    assert upload.database_stats["created"] == 199
    ((number, column, message),) = _invalid_rows(upload)
    assert (number, column) == (152, "first_name")
    assert "NUL character" in message
    assert Member.objects.count() == 199


@pytest.mark.parametrize("bad", ["Na\x00me", "Na\ud800me"])
def test_a_nul_or_lone_surrogate_in_a_json_record_makes_the_row_invalid(
    tmp_path: Path, run_import: Run, bad: str
) -> None:
    records = [dict(zip(MEMBER_HEADER, row, strict=True)) for row in members(3)]
    records[1]["first_name"] = bad
    path = tmp_path / "members.json"
    path.write_text(json.dumps(records))  # escaped: \u0000 and \ud800 are valid JSON text
    upload = run_import(path)
    assert upload.job.status == JobStatus.COMPLETED
    assert upload.database_stats["created"] == 2
    ((number, column, _),) = _invalid_rows(upload)
    assert (number, column) == (2, "first_name")


def test_a_nul_in_a_json_column_name_fails_the_job_once_with_the_reason(
    tmp_path: Path, run_import: Run
) -> None:
    path = tmp_path / "members.json"
    path.write_text(json.dumps([{"id_number\u0000": "1", "first_name": "A", "last_name": "B"}]))
    upload = run_import(path)
    message = _failed_once(upload)
    assert "no header row with the required columns" in message
    assert "\x00" not in message


def test_a_5_mb_csv_field_fails_the_job_once_with_a_message(
    tmp_path: Path, run_import: Run
) -> None:
    rows = members(5)
    rows[3][1] = "x" * 5_000_000
    upload = run_import(_csv_with(tmp_path, rows))
    message = _failed_once(upload)
    assert "row 5" in message
    assert "longer than" in message


def test_a_control_character_in_a_bad_row_still_reaches_the_error_report(
    tmp_path: Path, run_import: Run
) -> None:
    rows = members(2)
    rows[1][0], rows[1][1] = "123", "Na\x01me"  # invalid ID; a character xlsx cannot hold
    upload = run_import(_csv_with(tmp_path, rows))
    assert upload.job.status == JobStatus.COMPLETED
    sheet = load_workbook(upload.error_report.path).active
    assert "Na\\u0001me" in [cell.value for cell in sheet[2]]


def test_a_plain_text_pdf_is_refused_at_upload(tmp_path: Path) -> None:
    path = tmp_path / "members.csv"
    path.write_bytes(b"%PDF-1.4\nid_number,first_name,last_name\n1 0 obj\n<< >>\nendobj\n")
    with pytest.raises(FileRefused) as refused:
        upload_file(path)
    assert refused.value.code == "unsupported_type"
    assert "PDF" in str(refused.value)
