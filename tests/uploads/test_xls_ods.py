"""Excel 97-2003 (.xls) and OpenDocument (.ods) files are imported as xlsx files are."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.uploads.files import MEMBER_HEADER, members, write_ods, write_xls
from uploads.importers import get_import_type
from uploads.models import Member, Upload
from uploads.readers import FileRefused, open_table, sniff_type
from uploads.services import upload_create

pytestmark = pytest.mark.django_db(transaction=True)
Writer = Callable[[Path, dict[str, Any]], Path]
FORMATS = [pytest.param(write_xls, "xls", id="xls"), pytest.param(write_ods, "ods", id="ods")]


def people(count: int) -> list[list[Any]]:
    """Members as a spreadsheet holds them: some ID numbers as number cells, dates as dates."""
    rows: list[list[Any]] = members(count)
    for n, row in enumerate(rows):
        row[8] = dt.date.fromisoformat(row[8])
        if n % 2:
            row[0] = int(row[0])
    return rows


def a_workbook(tmp_path: Path, write: Writer, suffix: str) -> tuple[Path, list[list[Any]]]:
    """A title sheet, then the members below a title row and a blank row, two of them bad."""
    rows = people(40)
    rows[9][5] = "Atlantis"
    rows[30][1] = None
    sheet = [["Members of the branch"], [], MEMBER_HEADER, *rows]
    path = write(tmp_path / f"members.{suffix}", {"Cover": [["nothing here"]], "Members": sheet})
    return path, rows


@pytest.mark.parametrize(("write", "suffix"), FORMATS)
def test_a_members_workbook_is_imported_with_exact_counts(
    tmp_path: Path, run_import: Callable[..., Upload], write: Writer, suffix: str
) -> None:
    path, rows = a_workbook(tmp_path, write, suffix)
    upload = run_import(path)
    assert upload.file_type == suffix
    assert upload.validation_stats == {
        "total_rows": 40,
        "valid_rows": 38,
        "invalid_rows": 2,
        "duplicate_rows": 0,
    }
    assert upload.database_stats == {"created": 38, "updated": 0, "unchanged": 0, "failed": 0}
    errors = list(upload.errors.values_list("row_number", "column", "code"))
    assert errors == [(13, "province", "invalid"), (34, "first_name", "required")]
    stored = Member.objects.get(id_number=str(rows[1][0]))  # a number cell
    assert (stored.first_name, stored.date_of_birth) == (rows[1][1], rows[1][8])
    assert Member.objects.count() == 38


@pytest.mark.parametrize(("write", "suffix"), FORMATS)
def test_the_type_is_known_by_content_whatever_the_name(
    tmp_path: Path, write: Writer, suffix: str
) -> None:
    path = write(tmp_path / f"m.{suffix}", {"S": [MEMBER_HEADER, *people(1)]})
    assert sniff_type(path.read_bytes()[:8192]) == suffix
    upload = upload_create(
        stream=io.BytesIO(path.read_bytes()), original_name="members.csv", import_type="members"
    )
    assert upload.file_type == suffix


@pytest.mark.parametrize(("write", "suffix"), FORMATS)
def test_rows_and_columns_keep_their_places(tmp_path: Path, write: Writer, suffix: str) -> None:
    header = ["", "", *MEMBER_HEADER]  # the table starts in column C
    row = ["", "", *people(1)[0]]
    path = write(tmp_path / f"m.{suffix}", {"S": [[], [], header, [], row]})
    table = open_table(path, suffix, get_import_type("members"), max_uncompressed=10**9)
    try:
        assert table.header_row == 3
        ((number, values),) = list(table.rows)
    finally:
        table.close()
    assert number == 5
    assert values["first_name"] == row[3]
    assert values["date_of_birth"] == row[10]


def test_ods_repeated_cells_spaces_and_line_breaks(tmp_path: Path) -> None:
    """What LibreOffice writes: runs of empty cells and rows as one repeated element, spaces
    and line breaks as elements of their own, a formula with its calculated value."""
    person = people(1)[0]
    cells = "".join(
        f'<table:table-cell office:value-type="string"><text:p>{value}</text:p></table:table-cell>'
        for value in MEMBER_HEADER
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body>'
        '<office:spreadsheet><table:table table:name="S">'
        f"<table:table-row>{cells}</table:table-row>"
        '<table:table-row table:number-rows-repeated="3">'
        '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>'
        "<table:table-row>"
        f'<table:table-cell office:value-type="float" office:value="{person[0]}"/>'
        '<table:table-cell office:value-type="string"><text:p>Le<text:s text:c="2"/>rato'
        "<text:line-break/>Zoë</text:p></table:table-cell>"
        '<table:table-cell table:formula="of:=UPPER([.A1])" office:value-type="string">'
        "<text:p>MOKOENA</text:p></table:table-cell>"
        '<table:table-cell table:number-columns-repeated="2"/>'
        '<table:table-cell office:value-type="string"><text:p>Gauteng</text:p></table:table-cell>'
        '<table:table-cell table:number-columns-repeated="16000"/>'
        "</table:table-row>"
        '<table:table-row table:number-rows-repeated="1048000">'
        "<table:table-cell/></table:table-row>"
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    path = tmp_path / "lo.ods"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content)
    table = open_table(path, "ods", get_import_type("members"), max_uncompressed=10**9)
    try:
        rows = list(table.rows)
    finally:
        table.close()
    assert rows == [
        (
            5,
            {
                **dict.fromkeys(MEMBER_HEADER),
                "id_number": int(person[0]),
                "first_name": "Le  rato\nZoë",
                "last_name": "MOKOENA",
                "province": "Gauteng",
            },
        )
    ]


def test_an_office_file_that_is_not_a_workbook_is_refused() -> None:
    fake = io.BytesIO(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    with pytest.raises(FileRefused) as refused:
        upload_create(stream=fake, original_name="letter.xls", import_type="members")
    assert refused.value.code == "unsupported_type"
    assert str(refused.value).startswith("the file cannot be read as an Excel 97-2003 workbook")
    assert not Upload.objects.exists()


def test_an_ods_formula_without_a_value_is_a_row_error_that_says_so(
    tmp_path: Path, run_import: Callable[..., Upload]
) -> None:
    path = write_ods(tmp_path / "f.ods", {"S": [MEMBER_HEADER, *people(2)]})
    with zipfile.ZipFile(path) as source:
        parts = {item.filename: source.read(item) for item in source.infolist()}
    first = str(people(1)[0][1])
    parts["content.xml"] = parts["content.xml"].replace(
        f'<table:table-cell office:value-type="string"><text:p>{first}</text:p>'.encode(),
        b'<table:table-cell table:formula="of:=UPPER([.C2])"><text:p/>',
    )
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)
    upload = run_import(path)
    assert upload.database_stats["created"] == 1
    ((row, code, message),) = upload.errors.values_list("row_number", "code", "message")
    assert (row, code) == (2, "formula")
    assert message.startswith(
        "first_name: the cell holds a formula without a value (=UPPER([.C2]))"
    )


def test_a_word_document_named_xls_is_refused(tmp_path: Path) -> None:
    """An Office 97-2003 file whose stream is not a workbook (here an xls with its Workbook
    stream renamed as a Word document's) is refused before anything is stored."""
    path = write_xls(tmp_path / "m.xls", {"S": [MEMBER_HEADER, *people(1)]})
    workbook, word = "Workbook".encode("utf-16-le"), "WordDocu".encode("utf-16-le")
    data = path.read_bytes()
    assert data.count(workbook) == 1
    with pytest.raises(FileRefused) as refused:
        upload_create(
            stream=io.BytesIO(data.replace(workbook, word)),
            original_name="letter.xls",
            import_type="members",
        )
    assert refused.value.code == "unsupported_type"
    assert not Upload.objects.exists()
