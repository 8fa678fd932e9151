"""Imports end to end through the service and the job, with exact counts."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import load_workbook

from jobs.models import JobStatus
from tests.uploads.files import MEMBER_HEADER, formulas, imei, members, write_csv, write_xlsx
from uploads.importing import reading
from uploads.live import upload_messages
from uploads.models import Device, Member, Upload
from uploads.services import upload_confirm

pytestmark = pytest.mark.django_db(transaction=True)
Run = Callable[..., Upload]


def mixed_file(tmp_path: Path) -> tuple[Path, list[list]]:
    rows = members(10)
    bad_luhn = list(rows[0])
    bad_luhn[0] = bad_luhn[0][:-1] + str((int(bad_luhn[0][-1]) + 1) % 10)
    no_province = members(1, start=500)[0]
    no_province[5] = ""
    too_long = members(1, start=600)[0]
    too_long[1] = "x" * 101
    duplicate = list(rows[1])
    sheet = [MEMBER_HEADER, *rows, bad_luhn, no_province, duplicate, too_long]
    return write_xlsx(tmp_path / "mixed.xlsx", {"Members": sheet}), rows


def test_good_rows_are_imported_and_every_bad_row_reported(tmp_path: Path, run_import: Run) -> None:
    path, rows = mixed_file(tmp_path)
    upload = run_import(path)
    assert upload.job.status == JobStatus.COMPLETED
    assert upload.validation_stats == {
        "total_rows": 14,
        "valid_rows": 10,
        "invalid_rows": 3,
        "duplicate_rows": 1,
    }
    assert upload.database_stats == {"created": 10, "updated": 0, "unchanged": 0, "failed": 0}
    assert set(Member.objects.values_list("id_number", flat=True)) == {r[0] for r in rows}
    errors = list(upload.errors.values_list("row_number", "code", "column"))
    assert errors == [
        (12, "invalid", "id_number"),
        (13, "required", "province"),
        (14, "duplicate", "id_number"),
        (15, "invalid", "first_name"),
    ]
    assert upload.job.result["database_stats"]["created"] == 10


def test_the_jobs_result_and_the_live_message_say_what_the_upload_stores(
    tmp_path: Path, run_import: Run
) -> None:
    path, _ = mixed_file(tmp_path)
    upload = run_import(path)
    assert upload.job.result == {
        "upload_id": str(upload.pk),
        "validation_stats": upload.validation_stats,
        "database_stats": upload.database_stats,
        "dry_run": False,
        "error_report": True,
        "processing_duration_ms": upload.processing_duration_ms,
    }
    (complete,) = upload_messages(upload.job)
    assert complete["stats"] == {
        "validation_stats": upload.validation_stats,
        "database_stats": upload.database_stats,
        "dry_run": False,
    }
    assert complete["processing_duration_ms"] == upload.processing_duration_ms


def test_error_report_lists_bad_rows_with_reasons(tmp_path: Path, run_import: Run) -> None:
    path, _ = mixed_file(tmp_path)
    upload = run_import(path)
    sheet = load_workbook(upload.error_report.path).active
    lines = list(sheet.iter_rows(values_only=True))
    assert (lines[0][0], lines[0][-1]) == ("row", "errors")
    assert [line[0] for line in lines[1:]] == [12, 13, 14, 15]
    assert "fails its check digit" in lines[1][-1]
    assert lines[2][-1] == "province is required"
    assert "appears earlier in the file" in lines[3][-1]
    assert "is 101 characters long (at most 100)" in lines[4][-1]


def test_error_report_never_carries_a_live_formula(tmp_path: Path, run_import: Run) -> None:
    row = members(1)[0]
    row[1], row[5] = '=HYPERLINK("http://evil.example","click")', "Atlantis"
    upload = run_import(write_csv(tmp_path / "f.csv", [MEMBER_HEADER, row]))
    cell = load_workbook(upload.error_report.path).active["C2"]
    assert cell.data_type == "s"
    assert cell.value == row[1]  # the text as given, in a text cell: never evaluated
    with zipfile.ZipFile(upload.error_report.path) as report:
        sheet = report.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet
    assert 't="inlineStr"><is><t>=HYPERLINK(' in sheet


def test_reimport_finds_rows_unchanged_then_updates_a_changed_one(
    tmp_path: Path, run_import: Run
) -> None:
    rows = members(5)
    run_import(write_csv(tmp_path / "a.csv", [MEMBER_HEADER, *rows]))
    again = run_import(write_csv(tmp_path / "b.csv", [MEMBER_HEADER, *rows]))
    assert again.database_stats == {"created": 0, "updated": 0, "unchanged": 5, "failed": 0}
    rows[2][2] = "Renamed"
    changed = run_import(write_csv(tmp_path / "c.csv", [MEMBER_HEADER, *rows]))
    assert changed.database_stats == {"created": 0, "updated": 1, "unchanged": 4, "failed": 0}
    assert Member.objects.get(id_number=rows[2][0]).last_name == "Renamed"


def test_create_only_and_update_only_refuse_what_their_mode_excludes(
    tmp_path: Path, run_import: Run
) -> None:
    old, new = members(2), members(1, start=900)
    run_import(write_csv(tmp_path / "a.csv", [MEMBER_HEADER, *old]))
    both = write_csv(tmp_path / "b.csv", [MEMBER_HEADER, *old, *new])
    created = run_import(both, mode="create_only")
    assert created.database_stats == {"created": 1, "updated": 0, "unchanged": 0, "failed": 2}
    assert "already exists (mode create_only)" in created.errors.first().message
    Member.objects.filter(id_number=new[0][0]).delete()
    updated = run_import(both, mode="update_only")
    assert updated.database_stats == {"created": 0, "updated": 0, "unchanged": 2, "failed": 1}
    assert "does not exist (mode update_only)" in updated.errors.get().message
    assert not Member.objects.filter(id_number=new[0][0]).exists()


def test_all_or_nothing_imports_nothing_when_one_row_is_bad(
    tmp_path: Path, run_import: Run
) -> None:
    path, _ = mixed_file(tmp_path)
    upload = run_import(path, policy="all_or_nothing")
    assert upload.job.status == JobStatus.FAILED
    assert upload.job.error_message == (
        "4 rows are invalid, so nothing was imported (policy all_or_nothing); see the error report"
    )
    assert upload.job.attempts == 1  # permanent: no retry
    assert Member.objects.count() == 0
    assert upload.error_report


def test_all_or_nothing_imports_everything_when_all_rows_are_good(
    tmp_path: Path, run_import: Run
) -> None:
    upload = run_import(
        write_csv(tmp_path / "a.csv", [MEMBER_HEADER, *members(7)]), policy="all_or_nothing"
    )
    assert upload.database_stats["created"] == 7
    assert Member.objects.count() == 7


def test_dry_run_writes_nothing_and_confirm_imports_it(tmp_path: Path, run_import: Run) -> None:
    from jobs import runner

    path, _ = mixed_file(tmp_path)
    dry = run_import(path, dry_run=True)
    assert dry.job.status == JobStatus.COMPLETED
    assert dry.validation_stats["valid_rows"] == 10
    assert dry.database_stats == {"created": 10, "updated": 0, "unchanged": 0, "failed": 0}
    assert Member.objects.count() == 0
    confirmed = upload_confirm(upload=dry)
    assert (confirmed.dry_run_of, confirmed.dry_run) == (dry, False)
    assert confirmed.job.priority == dry.job.priority
    runner.execute(str(confirmed.job.pk))
    confirmed.refresh_from_db()
    assert confirmed.database_stats == {"created": 10, "updated": 0, "unchanged": 0, "failed": 0}
    assert Member.objects.count() == 10
    assert (confirmed.errors.count(), dry.errors.count()) == (4, 4)  # each its own report
    dry.refresh_from_db()
    assert dry.confirmed_by == confirmed


def test_devices_import(tmp_path: Path, run_import: Run) -> None:
    rows = [
        ["IMEI", "Make", "Model", "Status"],
        [imei(1), "Samsung", "A15", "Active"],
        [int(imei(2)), "Nokia", "105", "STOLEN"],
        [imei(3), "X", "Y", "misplaced"],
    ]
    upload = run_import(write_xlsx(tmp_path / "d.xlsx", {"Devices": rows}), "devices")
    assert upload.database_stats["created"] == 2
    assert Device.objects.get(imei=imei(2)).status == "stolen"
    assert "must be one of active, blocked, lost, stolen" in upload.errors.get().message


def test_optional_columns_may_be_missing_and_reimport_is_unchanged(
    tmp_path: Path, run_import: Run
) -> None:
    rows = [
        ["id_number", "first_name", "last_name", "province"],
        *[[*r[:3], r[5]] for r in members(3)],
    ]
    first = run_import(write_csv(tmp_path / "a.csv", rows))
    assert first.database_stats["created"] == 3
    member = Member.objects.get(id_number=rows[1][0])
    assert (member.email, member.cell_number, member.ward) == ("", "", "")
    assert member.date_of_birth is not None  # taken from the ID number
    again = run_import(write_csv(tmp_path / "b.csv", rows))
    assert again.database_stats == {"created": 0, "updated": 0, "unchanged": 3, "failed": 0}


def test_texts_with_tabs_backslashes_and_line_breaks_are_stored_as_given(
    tmp_path: Path, run_import: Run
) -> None:
    names = ["Le\trato", "back\\slash", "two\nlines", "\\N", "Zoë"]
    rows = members(len(names))
    for row, name in zip(rows, names, strict=True):
        row[1] = name
    upload = run_import(write_csv(tmp_path / "odd.csv", [MEMBER_HEADER, *rows]))
    assert upload.database_stats["created"] == len(names)
    stored = dict(Member.objects.values_list("id_number", "first_name"))
    assert [stored[row[0]] for row in rows] == names


def test_batches_of_new_and_stored_rows_in_turn_are_each_counted_right(
    tmp_path: Path, run_import: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch of new rows goes in without a key lookup; one with stored keys (here the second)
    is rolled back and written the careful way, and the batch after it is new again."""
    monkeypatch.setattr(reading, "BATCH_SIZE", 3)
    rows = members(9)
    stored = [list(row) for row in rows[3:6]]
    run_import(write_csv(tmp_path / "stored.csv", [MEMBER_HEADER, *stored]))
    rows[4][2] = "Renamed"
    upload = run_import(write_csv(tmp_path / "all.csv", [MEMBER_HEADER, *rows]))
    assert upload.database_stats == {"created": 6, "updated": 1, "unchanged": 2, "failed": 0}
    assert Member.objects.count() == 9
    assert Member.objects.get(id_number=rows[4][0]).last_name == "Renamed"


def test_a_sheet_damaged_past_its_first_batches_fails_once_with_the_reason(
    tmp_path: Path, run_import: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The damage is found by the thread that reads ahead; the job fails for good (a retry
    would find the same damage), keeping the batches committed before it."""
    monkeypatch.setattr(reading, "BATCH_SIZE", 10)
    whole = write_xlsx(tmp_path / "whole.xlsx", {"Members": [MEMBER_HEADER, *members(50)]})
    cut = tmp_path / "cut.xlsx"
    with zipfile.ZipFile(whole) as source, zipfile.ZipFile(cut, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: data.index(b'<row r="35"') + 20]  # cut inside row 35
            target.writestr(item, data)
    upload = run_import(cut)
    assert upload.job.status == JobStatus.FAILED
    assert upload.job.attempts == 1
    assert upload.job.error_message.startswith("the workbook is damaged")
    assert Member.objects.count() == 30  # rows 2 to 31: the three batches before the damage


def test_a_formula_without_a_value_is_a_row_error_that_says_so(
    tmp_path: Path, run_import: Run
) -> None:
    upload = run_import(formulas(tmp_path / "f.xlsx", {"B2": "Thabo"}))
    assert upload.database_stats["created"] == 1
    assert Member.objects.get().first_name == "Thabo"
    errors = list(upload.errors.values_list("row_number", "column", "code", "message"))
    assert errors == [
        (
            row,
            "first_name",
            "formula",
            f'first_name: the cell holds a formula without a value (=UPPER("name{row}")); open '
            "the file in a spreadsheet program and save it, or paste the values, then upload "
            "it again",
        )
        for row in (3, 4)
    ]


def test_a_dry_run_previews_batches_of_new_and_stored_rows_in_turn(
    tmp_path: Path, run_import: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The preview looks every batch up (there is no insert to try first), read ahead or not."""
    monkeypatch.setattr(reading, "BATCH_SIZE", 3)
    rows = members(9)
    run_import(write_csv(tmp_path / "stored.csv", [MEMBER_HEADER, *rows[3:6]]))
    rows[4][2] = "Renamed"
    dry = run_import(write_csv(tmp_path / "all.csv", [MEMBER_HEADER, *rows]), dry_run=True)
    assert dry.database_stats == {"created": 6, "updated": 1, "unchanged": 2, "failed": 0}
    assert Member.objects.count() == 3
    assert Member.objects.get(id_number=rows[4][0]).last_name == "Surname4"
