"""Readers on real files: header and sheet detection, encodings, delimiters, refusals."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tests.uploads.files import MEMBER_HEADER, members, write_csv, write_xlsx
from uploads.importers import get_import_type
from uploads.readers import FileRefused, check_xlsx, open_table, sniff_type

MEMBERS = get_import_type("members")


def read(path: Path, file_type: str | None = None) -> list[tuple[int, dict]]:
    kind = file_type or sniff_type(path.read_bytes()[:8192])
    table = open_table(path, kind, MEMBERS, max_uncompressed=10**9)
    try:
        return list(table.rows)
    finally:
        table.close()


def test_header_below_a_title_on_the_second_sheet_is_found(tmp_path: Path) -> None:
    rows = members(3)
    path = write_xlsx(
        tmp_path / "m.xlsx",
        {
            "Notes": [["This workbook lists members"], ["nothing else here"]],
            "Members": [
                ["Membership list 2026"],
                [],
                [
                    "ID Number",
                    "First-Name",
                    "SURNAME",
                    "E-mail",
                    "Mobile",
                    "Province",
                    "Municipality",
                    "Ward No",
                    "DOB",
                ],
                *rows,
            ],
        },
    )
    table = open_table(path, "xlsx", MEMBERS, max_uncompressed=10**9)
    assert (table.sheet, table.header_row) == ("Members", 3)
    got = list(table.rows)
    table.close()
    assert [n for n, _ in got] == [4, 5, 6]  # the row numbers Excel shows
    assert got[0][1]["id_number"] == rows[0][0]
    assert got[0][1]["cell_number"] == rows[0][4]


def test_blank_rows_are_skipped_and_row_numbers_kept(tmp_path: Path) -> None:
    rows = members(2)
    path = write_xlsx(
        tmp_path / "m.xlsx", {"S": [MEMBER_HEADER, rows[0], [], [None, " "], rows[1]]}
    )
    assert [n for n, _ in read(path)] == [2, 5]


def test_unknown_columns_are_ignored_and_reported(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "m.csv", [[*MEMBER_HEADER, "Shoe size"], members(1)[0] + [42]])
    table = open_table(path, "csv", MEMBERS, max_uncompressed=10**9)
    table.close()
    assert table.ignored_headers == ["Shoe size"]


def test_csv_with_bom_semicolons_and_crlf(tmp_path: Path) -> None:
    rows = members(2)
    path = write_csv(
        tmp_path / "m.csv",
        [MEMBER_HEADER, *rows],
        encoding="utf-8-sig",
        delimiter=";",
        newline="\r\n",
    )
    got = read(path)
    assert len(got) == 2
    assert got[0][1]["id_number"] == rows[0][0]  # no BOM glued to the first header


def test_windows_1252_csv_keeps_accents(tmp_path: Path) -> None:
    row = members(1)[0]
    row[1] = "Zoë"
    row[2] = "Müller\u2013Botha"  # an en dash: in Windows-1252, not in Latin-1
    path = write_csv(tmp_path / "m.csv", [MEMBER_HEADER, row], encoding="cp1252")
    assert read(path)[0][1]["first_name"] == "Zoë"
    assert read(path)[0][1]["last_name"] == "Müller\u2013Botha"


def test_json_records(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text(
        '{"records": [{"ID": "8001015009087", "name": "A", "surname": "B", "province": "GP"}]}'
    )
    assert read(path) == [
        (1, {"id_number": "8001015009087", "first_name": "A", "last_name": "B", "province": "GP"})
    ]


def test_no_header_row_is_refused_saying_what_was_expected(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "m.csv", [["name", "age"], ["A", "3"]])
    with pytest.raises(
        FileRefused,
        match=r"no header row with the required columns "
        r"\(id_number, first_name, last_name, province\).*first row has: name",
    ):
        read(path)


def test_workbook_without_a_header_on_any_sheet_names_its_first_filled_row(
    tmp_path: Path,
) -> None:
    path = write_xlsx(
        tmp_path / "m.xlsx", {"Notes": [[], ["Membership list"]], "Data": [["name", "age"]]}
    )
    with pytest.raises(FileRefused, match=r"first row has: Membership list$"):
        read(path)


@pytest.mark.parametrize(
    ("head", "code", "message"),
    [
        (b"", "empty", "the file is empty (0 bytes)"),
        (b"%PDF-1.7\n\x00\x01", "unsupported_type", "PDF files are not supported"),
        (b"\xff\xfei\x00d\x00", "unsupported_type", "UTF-16 text is not supported"),
    ],
)
def test_unsupported_content_is_refused(head: bytes, code: str, message: str) -> None:
    with pytest.raises(FileRefused) as refused:
        sniff_type(head)
    assert refused.value.code == code
    assert message in str(refused.value)


def test_truncated_xlsx_is_refused_as_corrupt(tmp_path: Path) -> None:
    good = write_xlsx(tmp_path / "m.xlsx", {"S": [MEMBER_HEADER, *members(50)]})
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(FileRefused, match="corrupt or truncated"):
        check_xlsx(cut, max_uncompressed=10**9)


def test_zip_bomb_is_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (50 * 1024 * 1024))
    assert bomb.stat().st_size < 200_000
    with pytest.raises(FileRefused, match="refused as a possible zip bomb") as refused:
        check_xlsx(bomb, max_uncompressed=10**9)
    assert refused.value.code == "zip_bomb"


def test_a_zip_that_is_not_a_workbook_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "photos.zip"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("a.txt", "hello")
    with pytest.raises(FileRefused, match="not an Excel workbook"):
        check_xlsx(other, max_uncompressed=10**9)
