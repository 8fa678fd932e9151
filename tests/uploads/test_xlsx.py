"""The streaming xlsx reader on workbooks as Excel writes them (shared strings, styles)."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from xml.etree.ElementTree import ParseError

import pytest
from openpyxl import Workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from tests.uploads.files import MEMBER_HEADER, formulas, members
from uploads import xlsx
from uploads.cells import FormulaWithoutValue
from uploads.importers import get_import_type
from uploads.readers import FileRefused, open_table


def excel_like(path: Path) -> Path:
    """A regular (not write-only) openpyxl workbook: shared strings and styled cells."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Data"
    sheet.append(["name", "id", "born", "ratio", "ok", "sum"])
    sheet.append(["Thabo", 8001015009087, dt.datetime(1980, 1, 1), 3.5, True, "=1+1"])  # noqa: DTZ001
    sheet["C2"].number_format = "dd/mm/yyyy"
    sheet["A3"] = CellRichText([TextBlock(InlineFont(b=True), "Le"), "rato"])
    sheet["D3"] = 42
    sheet["F4"] = "only F"
    book.save(path)
    return path


def test_values_come_back_typed(tmp_path: Path) -> None:
    book = xlsx.Workbook(excel_like(tmp_path / "x.xlsx"))
    ((title, sheet),) = book.sheets
    rows = list(book.rows(sheet))
    book.close()
    assert title == "Data"
    assert rows[1] == (2, ("Thabo", 8001015009087, dt.datetime(1980, 1, 1), 3.5, True, "=1+1"))  # noqa: DTZ001
    assert rows[2] == (3, ("Lerato", None, None, 42))  # rich text joined; trailing cells absent
    assert rows[3] == (4, (None, None, None, None, None, "only F"))  # gaps keep positions


def test_dimension_gives_the_row_estimate(tmp_path: Path) -> None:
    book = xlsx.Workbook(excel_like(tmp_path / "x.xlsx"))
    assert book.dimension_rows(book.sheets[0][1]) == 4
    book.close()


def test_a_sheet_cut_off_mid_xml_is_refused_as_damaged(tmp_path: Path) -> None:
    good = Workbook()
    for row in [MEMBER_HEADER, *members(500)]:
        good.active.append(row)
    good.save(tmp_path / "good.xlsx")
    cut = tmp_path / "cut.xlsx"
    with zipfile.ZipFile(tmp_path / "good.xlsx") as source, zipfile.ZipFile(cut, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            target.writestr(item, data)
    table = open_table(cut, "xlsx", get_import_type("members"), max_uncompressed=10**9)
    with pytest.raises(FileRefused, match="the workbook is damaged"):
        list(table.rows)
    table.close()


MAIN = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
RELS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'


def excel_made(path: Path, *, date1904: bool = False) -> Path:
    """A workbook as Excel writes it: shared strings (plain, rich, with a phonetic guide), a
    custom date format, and optionally the 1904 date system (old Mac workbooks)."""
    parts = {
        "xl/workbook.xml": f'<workbook {MAIN} {RELS}><workbookPr date1904="{int(date1904)}"/>'
        '<sheets><sheet name="Leden" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/'
        'package/2006/relationships"><Relationship Id="rId1" Type="x" '
        'Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/sharedStrings.xml": f"<sst {MAIN}><si><t>name</t></si><si><t>born</t></si>"
        "<si><r><t>Zo</t></r><r><rPr><b/></rPr><t>\u00eb</t></r></si>"
        "<si><t>Sato</t><rPh><t>\u30b5\u30c8\u30a6</t></rPh></si></sst>",
        "xl/styles.xml": f'<styleSheet {MAIN}><numFmts><numFmt numFmtId="164" '
        'formatCode="yyyy\\-mm\\-dd"/><numFmt numFmtId="165" formatCode="0.00&quot;d&quot;"/>'
        '</numFmts><cellXfs><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="165"/>'
        "</cellXfs></styleSheet>",
        "xl/worksheets/sheet1.xml": f"<worksheet {MAIN}><sheetData>"
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
        '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" s="1"><v>29221</v></c>'
        '<c r="C2" s="2"><v>7</v></c></row>'
        '<row r="3"><c r="A3" t="s"><v>3</v></c><c r="B3" t="str"><f>A3</f><v>Sato</v></c>'
        "</row></sheetData></worksheet>",
    }
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return path


def test_shared_strings_styles_and_dates_as_excel_writes_them(tmp_path: Path) -> None:
    book = xlsx.Workbook(excel_made(tmp_path / "e.xlsx"))
    rows = list(book.rows(book.sheets[0][1]))
    book.close()
    assert rows[0] == (1, ("name", "born"))
    assert rows[1] == (2, ("Zo\u00eb", dt.datetime(1980, 1, 1), 7))  # noqa: DTZ001
    assert rows[2] == (3, ("Sato", "Sato"))  # phonetic guide is not part of the value


def test_the_1904_date_system(tmp_path: Path) -> None:
    book = xlsx.Workbook(excel_made(tmp_path / "e.xlsx", date1904=True))
    rows = list(book.rows(book.sheets[0][1]))
    book.close()
    assert rows[1][1][1] == dt.datetime(1984, 1, 2)  # noqa: DTZ001 (serial 29221 from 1904)


def sheet_variant(path: Path, change: Callable[[str], str]) -> Path:
    """The workbook of excel_like() with its sheet XML rewritten by `change`."""
    source = excel_like(path.with_name(f"source-{path.name}"))
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(path, "w") as target:
        for item in original.infolist():
            data = original.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data = change(data.decode()).encode()
            target.writestr(item, data)
    return path


def prefixed(xml: str) -> str:
    """The sheet as some generators write it: every element with a namespace prefix."""
    return re.sub(r"<(/?)(?=[a-zA-Z])", r"<\1x:", xml).replace("xmlns=", "xmlns:x=")


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda xml: xml, id="as written"),
        pytest.param(prefixed, id="namespace prefix"),
        pytest.param(lambda xml: f'<?xml version="1.0" encoding="UTF-8"?>\r\n{xml}', id="decl"),
        pytest.param(lambda xml: xml.replace('r="A2"', "r='A2'"), id="single quotes"),
        pytest.param(lambda xml: xml.replace("</row>", "<!-- note --></row>"), id="comments"),
        pytest.param(lambda xml: xml.replace("Thabo", "T&amp;habo\r\n"), id="entity and CR"),
    ],
)
def test_sheets_in_every_shape_read_the_same(tmp_path: Path, change: Callable[[str], str]) -> None:
    book = xlsx.Workbook(sheet_variant(tmp_path / "v.xlsx", change))
    rows = list(book.rows(book.sheets[0][1]))
    book.close()
    name = "T&habo\n" if "&amp;" in change("Thabo") else "Thabo"
    assert rows[1] == (2, (name, 8001015009087, dt.datetime(1980, 1, 1), 3.5, True, "=1+1"))  # noqa: DTZ001
    assert rows[2] == (3, ("Lerato", None, None, 42))
    assert rows[3] == (4, (None, None, None, None, None, "only F"))


def test_a_sheet_cut_after_its_rows_is_refused_as_damaged(tmp_path: Path) -> None:
    cut = sheet_variant(tmp_path / "cut.xlsx", lambda xml: xml[: xml.index("</sheetData>") + 14])
    book = xlsx.Workbook(cut)
    with pytest.raises(ParseError):
        list(book.rows(book.sheets[0][1]))
    book.close()


def test_shared_strings_past_one_chunk_of_texts() -> None:
    texts = [f"text {n}" if n % 3 else "" for n in range(70_000)]
    items = "".join(f"<si><t>{text}</t></si>" for text in texts)
    strings = xlsx.SharedStrings(io.BytesIO(f"<sst {MAIN}>{items}</sst>".encode()))
    assert [strings[n] for n in (0, 1, 65_535, 65_536, 65_537, 69_999)] == [
        texts[n] for n in (0, 1, 65_535, 65_536, 65_537, 69_999)
    ]
    with pytest.raises(IndexError):
        strings[70_000]


def test_a_formula_is_read_by_its_calculated_value(tmp_path: Path) -> None:
    book = xlsx.Workbook(formulas(tmp_path / "f.xlsx", {"B2": "NAME2", "B3": ""}))
    rows = list(book.rows(book.sheets[0][1]))
    book.close()
    assert [row[1][1] for row in rows[1:]] == ["NAME2", None, '=UPPER("name4")']
    assert isinstance(rows[3][1][1], FormulaWithoutValue)
    assert not isinstance(rows[1][1][1], FormulaWithoutValue)
