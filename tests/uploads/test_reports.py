"""The error report is a file people fix and upload again: its extra columns (row, errors) are
ignored, and every value comes back as it was given."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.uploads.files import MEMBER_HEADER, members, write_xlsx
from uploads.models import Member

pytestmark = pytest.mark.django_db(transaction=True)


def people(count: int) -> list[list[object]]:
    """Rows as people type them: cell numbers with +27, birth dates as date cells."""
    rows = members(count)
    for n, row in enumerate(rows):
        row[4] = f"+2761702261{n}"
        row[8] = dt.datetime.fromisoformat(str(row[8]))
    return rows


def test_values_come_back_as_given(tmp_path: Path, run_import) -> None:
    rows = people(2)
    rows[1][5] = "Atlantis"
    rows[1][6] = "-@home"  # starts like a formula: comes back as it is, no apostrophe
    upload = run_import(write_xlsx(tmp_path / "m.xlsx", {"Members": [MEMBER_HEADER, *rows]}))
    sheet = load_workbook(upload.error_report.path).active
    header, line = list(sheet.iter_rows(values_only=True))
    assert header == ("row", *MEMBER_HEADER, "errors")
    assert line[1:-1] == (*rows[1][:8], rows[1][8].date().isoformat())
    assert line[-1].startswith("province 'Atlantis' is not one of the nine")


def test_a_fixed_error_report_uploaded_again_imports_every_fixed_row(
    tmp_path: Path, run_import
) -> None:
    rows = people(9)
    for row in rows[::3]:
        row[5] = "Atlantis"
    first = run_import(write_xlsx(tmp_path / "m.xlsx", {"Members": [MEMBER_HEADER, *rows]}))
    assert (first.database_stats["created"], first.validation_stats["invalid_rows"]) == (6, 3)

    report = load_workbook(first.error_report.path)
    sheet = report.active
    province = [cell.value for cell in sheet[1]].index("province") + 1
    for line in range(2, sheet.max_row + 1):
        sheet.cell(row=line, column=province).value = "Gauteng"
    fixed = tmp_path / "members-errors.xlsx"
    report.save(fixed)

    again = run_import(fixed)
    assert again.validation_stats == {
        "total_rows": 3,
        "valid_rows": 3,
        "invalid_rows": 0,
        "duplicate_rows": 0,
    }
    assert again.database_stats == {"created": 3, "updated": 0, "unchanged": 0, "failed": 0}
    assert not again.error_report
    assert Member.objects.count() == 9
    stored = Member.objects.get(id_number=rows[0][0])
    assert (stored.cell_number, stored.date_of_birth) == ("+27617022610", rows[0][8].date())
