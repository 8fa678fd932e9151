"""Real files for the upload tests, generated on the fly."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import re
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from uploads.validators import luhn_ok

MEMBER_HEADER = [
    "id_number",
    "first_name",
    "last_name",
    "email",
    "cell_number",
    "province",
    "municipality",
    "ward",
    "date_of_birth",
]


def with_check_digit(base: str) -> str:
    return next(base + d for d in "0123456789" if luhn_ok(base + d))


def sa_id(born: dt.date, serial: int = 5009, citizen: int = 0) -> str:
    return with_check_digit(f"{born:%y%m%d}{serial:04d}{citizen}8")


def imei(n: int) -> str:
    return with_check_digit(f"35{n:012d}")


def member_row(n: int, **overrides: Any) -> list[Any]:
    born = dt.date(1960, 1, 1) + dt.timedelta(days=n % 15000)
    # The birth date cycles every 15,000 rows; the serial moves on with each cycle, so ID
    # numbers stay distinct for 150 million rows.
    row = {
        "id_number": sa_id(born, serial=(n // 15000) % 10000),
        "first_name": f"Name{n}",
        "last_name": f"Surname{n}",
        "email": f"member{n}@example.org",
        "cell_number": f"08{n % 10_000_000:08d}"[:10],
        "province": "Gauteng",
        "municipality": "City of Johannesburg",
        "ward": str(79800000 + n % 100),
        "date_of_birth": born.isoformat(),
    }
    row.update(overrides)
    return [row[h] for h in MEMBER_HEADER]


def members(count: int, start: int = 0) -> list[list[Any]]:
    """`count` valid rows with distinct ID numbers."""
    rows, seen, n = [], set(), start
    while len(rows) < count:
        row = member_row(n)
        n += 1
        if row[0] not in seen:
            seen.add(row[0])
            rows.append(row)
    return rows


def write_xlsx(path: Path, sheets: dict[str, Sequence[Sequence[Any]]]) -> Path:
    workbook = Workbook(write_only=True)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
    workbook.save(path)
    return path


def write_csv(
    path: Path,
    rows: Iterable[Sequence[Any]],
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
    newline: str = "\r\n",
) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def shuffled(rows: list[list[Any]], seed: int = 7) -> list[list[Any]]:
    copy = list(rows)
    random.Random(seed).shuffle(copy)
    return copy


def formulas(path: Path, cached: dict[str, str]) -> Path:
    """A members sheet whose first name cells are formulas; `cached` gives some of them the
    value a spreadsheet program calculated (the XML Excel writes: t="str", <v>text</v>)."""
    book = Workbook()
    sheet = book.active
    sheet.append(MEMBER_HEADER)
    for n, row in enumerate(members(3), start=2):
        row[1] = f'=UPPER("name{n}")'
        sheet.append(row)
    book.save(path)
    with zipfile.ZipFile(path) as source:
        parts = {item.filename: source.read(item) for item in source.infolist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    for cell, value in cached.items():
        xml = re.sub(
            rf'<c r="{cell}"(?: s="\d+")?><f>([^<]*)</f><v\s*/>',
            rf'<c r="{cell}" t="str"><f>\1</f><v>{value}</v>',
            xml,
        )
    parts["xl/worksheets/sheet1.xml"] = xml.encode()
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return path


def write_xls(path: Path, sheets: dict[str, Sequence[Sequence[Any]]]) -> Path:
    """An Excel 97-2003 workbook (xlwt): texts, numbers, and date cells for dates."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for title, rows in sheets.items():
        sheet = book.add_sheet(title)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, dt.date):
                    sheet.write(r, c, value, date_style)
                elif value is not None:
                    sheet.write(r, c, value)
    book.save(str(path))
    return path


def write_ods(path: Path, sheets: dict[str, Sequence[Sequence[Any]]]) -> Path:
    """An OpenDocument spreadsheet (odfpy), with typed cells as LibreOffice writes them."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    for title, rows in sheets.items():
        table = Table(name=title)
        for row in rows:
            line = TableRow()
            for value in row:
                line.addElement(_ods_cell(value, TableCell, P))
            table.addElement(line)
        document.spreadsheet.addElement(table)
    document.save(str(path))
    return path


def _ods_cell(value: Any, cell: Any, paragraph: Any) -> Any:
    if value is None:
        return cell()
    if isinstance(value, bool):
        made = cell(valuetype="boolean", booleanvalue=str(value).lower())
    elif isinstance(value, (int, float)):
        made = cell(valuetype="float", value=value)
    elif isinstance(value, dt.date):
        made = cell(valuetype="date", datevalue=value.isoformat())
    else:
        made = cell(valuetype="string")
    made.addElement(paragraph(text=str(value)))
    return made
