"""A streaming reader of OpenDocument spreadsheets (.ods: LibreOffice, Google Sheets' export).

The sheets are in one XML part, content.xml, read here with the standard library's incremental
parser and let go of row by row, so memory stays flat whatever the size (python-calamine, which
reads .xls, builds the whole workbook in memory: 1.3 GB for a million-row .ods). Values: str,
int, float, bool, date, datetime or None; a formula gives its calculated value, or
FormulaWithoutValue when the file keeps none.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Iterator
from typing import IO, Any
from xml.etree.ElementTree import Element, iterparse

from uploads.cells import FormulaWithoutValue

MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"
TABLE_NS = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
OFFICE_NS = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
TEXT_NS = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
TABLE, ROW, CELL = f"{TABLE_NS}table", f"{TABLE_NS}table-row", f"{TABLE_NS}table-cell"
ROWS_REPEATED = f"{TABLE_NS}number-rows-repeated"
COLUMNS_REPEATED = f"{TABLE_NS}number-columns-repeated"
PARAGRAPH, SPACE, TAB = f"{TEXT_NS}p", f"{TEXT_NS}s", f"{TEXT_NS}tab"
LINE_BREAK, NOTE = f"{TEXT_NS}line-break", f"{OFFICE_NS}annotation"
MAX_COLUMNS = 16_384  # as Excel and LibreOffice: a row past it is damage, not data
MAX_ROWS = 1_048_576
Rows = Iterator[tuple[int, tuple[Any, ...]]]


class Spreadsheet:
    def __init__(self, path: Any) -> None:
        self.archive = zipfile.ZipFile(path)

    def close(self) -> None:
        self.archive.close()

    def sheets(self) -> Iterator[tuple[str, Rows]]:
        """(name, rows) of each sheet in turn; a sheet's rows not taken are skipped."""
        with self.archive.open("content.xml") as source:
            events = iterparse(source, events=("start", "end"))
            for event, element in events:
                if event == "start" and element.tag == TABLE:
                    rows = _rows(events, element)
                    yield element.get(f"{TABLE_NS}name", ""), rows
                    for _ in rows:  # the part of the sheet no one read
                        pass

    def row_count(self) -> int:
        """Rows in the file (row elements of every sheet, repeats not counted): an estimate, for
        progress and the row limit, from one pass over the bytes."""
        needles, keep = (b"<table:table-row ", b"<table:table-row>"), 16
        count, tail = 0, b""
        with self.archive.open("content.xml") as source:
            while chunk := source.read(1 << 20):
                data = tail + chunk
                count += sum(data.count(needle) for needle in needles)
                tail = data[-keep:]  # shorter than a needle: nothing is counted twice
        return count


def _rows(events: Iterator[tuple[str, Any]], table: Element) -> Rows:
    """The rows of one table, from its opening to its end in the parser's events."""
    number, depth = 0, 0
    for event, element in events:
        if element.tag == TABLE:  # a table in a cell (rare): its rows are not the sheet's
            depth += 1 if event == "start" else -1
            if depth < 0:
                return
            continue
        if event != "end" or element.tag != ROW or depth:
            continue
        repeat = int(element.get(ROWS_REPEATED, "1"))
        values = _cells(element)
        table.clear()  # the rows read so far: memory stays flat
        if number + repeat > MAX_ROWS and values:
            raise ValueError(f"the sheet has more than {MAX_ROWS:,} rows")
        if values:
            for _ in range(repeat):
                number += 1
                yield number, values
        else:
            number += repeat


def _cells(row: Element) -> tuple[Any, ...]:
    """A row's values from column A; trailing empty cells (often repeated thousands of times
    to the sheet's edge) are left out."""
    values: list[Any] = []
    empty = 0
    for cell in row:
        repeat = int(cell.get(COLUMNS_REPEATED, "1"))
        value = _value(cell) if cell.tag == CELL else None  # covered (merged) cells are empty
        if value is None:
            empty += repeat
            continue
        if len(values) + empty + repeat > MAX_COLUMNS:
            raise ValueError(f"a row has more than {MAX_COLUMNS:,} columns")
        values.extend([None] * empty)
        values.extend([value] * repeat)
        empty = 0
    return tuple(values)


def _value(cell: Element) -> Any:
    kind = cell.get(f"{OFFICE_NS}value-type")
    if kind in ("float", "percentage", "currency"):
        return _number(cell.get(f"{OFFICE_NS}value", ""))
    if kind == "date":
        return _date(cell.get(f"{OFFICE_NS}date-value", ""))
    if kind == "boolean":
        return cell.get(f"{OFFICE_NS}boolean-value") == "true"
    if kind is None and (formula := cell.get(f"{TABLE_NS}formula")):
        return FormulaWithoutValue("=" + formula.removeprefix("of:").lstrip("="))
    text = "\n".join(_text(p) for p in cell if p.tag == PARAGRAPH)  # string, time, or no type
    return text if text or kind == "string" else None


def _number(raw: str) -> int | float:
    return int(raw) if raw.lstrip("-").isdigit() else float(raw)


def _date(raw: str) -> dt.date | dt.datetime:
    if "T" in raw:
        return dt.datetime.fromisoformat(raw)
    return dt.date.fromisoformat(raw)


def _text(element: Element) -> str:
    """A paragraph's text: runs of spaces, tabs and line breaks are elements of their own."""
    parts = [element.text or ""]
    for child in element:
        if child.tag == SPACE:
            parts.append(" " * int(child.get(f"{TEXT_NS}c", "1")))
        elif child.tag == TAB:
            parts.append("\t")
        elif child.tag == LINE_BREAK:
            parts.append("\n")
        elif child.tag != NOTE:
            parts.append(_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def is_ods(head: bytes) -> bool:
    """An OpenDocument file starts with its media type, stored as its first zip entry."""
    return head[30:38] == b"mimetype" and head[38 : 38 + len(MIMETYPE)] == MIMETYPE.encode()


def declared_type(archive: zipfile.ZipFile) -> str:
    try:
        with archive.open("mimetype") as source:
            return _read_small(source)
    except KeyError:
        return ""


def _read_small(source: IO[bytes]) -> str:
    return source.read(200).decode("ascii", "replace").strip()
