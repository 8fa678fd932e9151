"""Files we hand back: the error report of an upload and the template of an import type, and
the downloads that serve them (the API's and the pages' alike: one file name, one content type).

Both are xlsx written in streaming mode. An error report is a file people fix and upload again:
its values are the values given, and a text value is always a typed text cell (an inline string,
never a formula, even when it starts with = + - @), so no report carries a live formula and
`+27617022619` comes back as `+27617022619`, not `'+27617022619`. The apostrophe that defuses a
formula belongs to CSV output, where a cell has no type: there is none yet.
"""

from __future__ import annotations

import io
import tempfile
from typing import TYPE_CHECKING, Any

from django.core.files import File
from django.http import FileResponse, HttpResponse
from django.urls import reverse

from jobs.errors import InvalidTransition
from jobs.lifecycle import FINISHED
from uploads.importers.base import ImportType
from uploads.models import Upload
from uploads.validators import PROVINCES, text

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

# openpyxl is imported where a file is written: it is ~13 MB of a worker's memory, and an
# import with no bad rows never writes one.

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ReportNotReady(InvalidTransition):
    """The job has not finished, so its error report may still come (HTTP 409)."""

    def __init__(self, *, status: str) -> None:
        self.action, self.status, self.allowed = "download the report of", status, list(FINISHED)
        Exception.__init__(self, f"the report is not ready: the job is {status}")


def error_report_url(job_id: Any) -> str:
    """Where an upload's error report downloads: one relative URL, the same in the API's answers
    and in the live messages (a client joins it to the server it talks to)."""
    return reverse("bulk-upload-errors", args=[job_id])


def error_report_check(upload: Upload) -> None:
    """Raise ReportNotReady while the upload's job has not finished."""
    if upload.job is not None and upload.job.status not in FINISHED:
        raise ReportNotReady(status=upload.job.status)


def safe_cell(sheet: Worksheet, value: Any, *, bold: bool = False) -> Any:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    if isinstance(value, str):
        value = _xml_safe(value)
    elif value is not None and not isinstance(value, (int, float)):
        value = text(value)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # set, not guessed: openpyxl takes a leading "=" for a formula
    if bold:
        cell.font = Font(bold=True)
    return cell


def _xml_safe(value: str) -> str:
    """Control characters that an xlsx cannot hold, shown as escapes (\\u0001) instead."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub(lambda match: f"\\u{ord(match.group()):04x}", value)


def error_report_build(upload: Upload, importer: type[ImportType]) -> None:
    """Write upload.error_report: one line per bad row, its values as given and every reason."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Errors")
    names = [column.name for column in importer.columns]
    sheet.append([safe_cell(sheet, h, bold=True) for h in ["row", *names, "errors"]])
    rows = upload.errors.order_by("row_number", "id").values_list(
        "row_number", "raw_values", "message"
    )
    current: tuple[int, dict[str, Any]] | None = None
    reasons: list[str] = []
    for number, raw, message in rows.iterator(chunk_size=2000):
        if current is not None and number != current[0]:
            _append_error_row(sheet, names, current, reasons)
            reasons = []
        current = (number, raw)
        reasons.append(message)
    if current is not None:
        _append_error_row(sheet, names, current, reasons)
    with tempfile.TemporaryFile() as buffer:
        workbook.save(buffer)
        buffer.seek(0)
        upload.error_report.save(f"{upload.pk}-errors.xlsx", File(buffer), save=False)


def _append_error_row(
    sheet: Worksheet, names: list[str], row: tuple[int, dict[str, Any]], reasons: list[str]
) -> None:
    number, raw = row
    values = [number, *(raw.get(name) for name in names), "; ".join(reasons)]
    sheet.append([safe_cell(sheet, value) for value in values])


def template_build(importer: type[ImportType]) -> bytes:
    """An empty sheet to fill in: the headers, one example row, and a province drop-down."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = importer.label
    names = [column.name for column in importer.columns]
    sheet.append(names)
    sheet.append([column.example for column in importer.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for position, column in enumerate(importer.columns, start=1):
        letter = get_column_letter(position)
        sheet.column_dimensions[letter].width = max(14, len(column.name) + 4)
        sheet.column_dimensions[letter].number_format = "@"  # keep long numbers as text
        sheet.cell(row=2, column=position).number_format = "@"
    if "province" in names:
        lists = workbook.create_sheet("Provinces")
        for name in PROVINCES.values():
            lists.append([name])
        letter = get_column_letter(names.index("province") + 1)
        validation = DataValidation(
            type="list",
            formula1=f"=Provinces!$A$1:$A${len(PROVINCES)}",
            allow_blank=True,
            showErrorMessage=True,
            error="Choose one of the nine provinces",
        )
        validation.add(f"{letter}2:{letter}100000")
        sheet.add_data_validation(validation)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def error_report_download(upload: Upload) -> FileResponse:
    """The upload's error report as an attachment named after the file that was uploaded:
    `members.csv` gives `members-errors.xlsx`. The caller checks that the upload has one."""
    name = f"{upload.original_name.rsplit('.', 1)[0]}-errors.xlsx"
    return FileResponse(
        upload.error_report.open("rb"), as_attachment=True, filename=name, content_type=XLSX
    )


def template_download(importer: type[ImportType]) -> HttpResponse:
    """The import type's template as an attachment: `members-template.xlsx`."""
    response = HttpResponse(template_build(importer), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{importer.key}-template.xlsx"'
    return response
