"""Readers that stream rows out of xlsx, ods, xls, csv and JSON files.

A file is checked before it is trusted: its type comes from its content (not its name), an xlsx
or ods must be a sane zip (no zip bomb, not truncated), an xls must open as a workbook, and text
must be UTF-8 (with or without BOM) or Windows-1252. The header row is found (it need not be the
first) on the sheet that carries it; blank rows are skipped; row numbers are the ones the user
sees in Excel.
"""

from __future__ import annotations

import codecs
import csv
import itertools
import json
import operator
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

from queueproject.errors import ServiceError
from uploads import ods, xlsx
from uploads.importers.base import ImportType

HEADER_SEARCH_ROWS = 20
MAX_ZIP_RATIO = 200  # uncompressed/compressed: real sheets stay far below this


# The refusals that are not a plain 400: a file too large, or of a type or encoding not read.
REFUSAL_STATUS = {"too_large": 413, "unsupported_type": 415, "bad_encoding": 415}


class FileRefused(ServiceError):
    """The file cannot be imported at all; `code` names why, and `status_code` is 400, 413 or
    415 by that code."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.status_code = REFUSAL_STATUS.get(code, 400)
        super().__init__(message)


@dataclass
class Table:
    file_type: str
    header_row: int
    columns: dict[int, str]  # position in the row -> import column name
    ignored_headers: list[str]
    estimated_rows: int
    rows: Iterator[tuple[int, dict[str, Any]]]
    sheet: str | None = None
    closers: list[Any] = field(default_factory=list)

    def close(self) -> None:
        for closer in self.closers:
            closer.close()


def sniff_type(head: bytes) -> str:
    """xlsx, ods, xls, csv or json, from the first bytes of the file."""
    if not head:
        raise FileRefused("empty", "the file is empty (0 bytes)")
    if head.startswith(b"PK\x03\x04"):
        return "ods" if ods.is_ods(head) else "xlsx"
    if head.startswith(b"%PDF-"):
        raise FileRefused(
            "unsupported_type",
            "PDF files are not supported: export the data as .xlsx or .csv and upload that",
        )
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):  # an OLE2 (Office 97-2003) file
        return "xls"
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FileRefused(
            "unsupported_type",
            "this is not a spreadsheet: upload an .xlsx, .xls, .ods, .csv or JSON file",
        )
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FileRefused(
            "unsupported_type",
            "UTF-16 text is not supported: save the CSV as "
            "UTF-8 (Excel: CSV UTF-8) and upload it again",
        )
    stripped = head.lstrip(codecs.BOM_UTF8).lstrip()
    return "json" if stripped[:1] in (b"[", b"{") else "csv"


def check_xlsx(path: Path, *, max_uncompressed: int) -> None:
    """Refuse a broken or hostile zip before any XML is parsed."""
    names = _check_zip(path, max_uncompressed=max_uncompressed)
    if "xl/workbook.xml" not in names:
        raise FileRefused(
            "unsupported_type",
            "this zip file is not an Excel workbook (.xlsx) or an OpenDocument spreadsheet (.ods)",
        )


def check_ods(path: Path, *, max_uncompressed: int) -> None:
    names = _check_zip(path, max_uncompressed=max_uncompressed)
    if "content.xml" not in names:
        raise FileRefused("corrupt", "the OpenDocument spreadsheet has no content.xml")


def _check_zip(path: Path, *, max_uncompressed: int) -> set[str]:
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            names = {entry.filename for entry in entries}
            total = sum(entry.file_size for entry in entries)
            packed = sum(entry.compress_size for entry in entries) or 1
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise FileRefused("corrupt", f"the file is corrupt or truncated ({exc})") from None
    if total > max_uncompressed or total / packed > MAX_ZIP_RATIO:
        raise FileRefused(
            "zip_bomb",
            f"the workbook expands to {total:,} bytes "
            f"({total / packed:.0f}x its size): refused as a possible zip bomb",
        )
    return names


def check_xls(path: Path) -> None:
    """An Office 97-2003 file is read only if it is an Excel workbook (not a .doc). Where the
    file says so in its first directory entries (as Excel, LibreOffice and xlwt write it), that
    is enough here: opening it with calamine reads the whole workbook (about 7 times the file's
    size in memory), which the upload's web process is spared; the import opens it anyway."""
    if not _names_a_workbook_stream(path):
        _open_calamine(path).close()


def _names_a_workbook_stream(path: Path) -> bool:
    """Whether the first sector of the compound file's directory has a stream named Workbook
    (BIFF8) or Book (BIFF5). Reads one sector; False when it cannot tell."""
    with path.open("rb") as raw:
        header = raw.read(512)
        if len(header) < 512:
            return False
        shift, first = (
            struct.unpack_from("<H", header, 0x1E)[0],
            struct.unpack_from("<I", header, 0x30)[0],
        )
        if shift not in (9, 12) or first >= 0xFFFFFFFA:
            return False
        size = 1 << shift
        raw.seek((first + 1) * size)
        sector = raw.read(size)
    for at in range(0, len(sector) - 127, 128):
        length, kind = struct.unpack_from("<H", sector, at + 64)[0], sector[at + 66]
        name = sector[at : at + max(0, min(length, 64) - 2)].decode("utf-16-le", "replace")
        if kind == 2 and name in ("Workbook", "Book"):  # 2: a stream
            return True
    return False


def check_file(path: Path, file_type: str, *, max_uncompressed: int) -> None:
    """The checks of a file of this type before it is stored or read."""
    if file_type == "xlsx":
        check_xlsx(path, max_uncompressed=max_uncompressed)
    elif file_type == "ods":
        check_ods(path, max_uncompressed=max_uncompressed)
    elif file_type == "xls":
        check_xls(path)


def open_table(
    path: Path, file_type: str, importer: type[ImportType], *, max_uncompressed: int
) -> Table:
    check_file(path, file_type, max_uncompressed=max_uncompressed)
    if file_type == "xlsx":
        return _open_xlsx(path, importer)
    if file_type == "ods":
        return _open_ods(path, importer)
    if file_type == "xls":
        return _open_xls(path, importer)
    if file_type == "json":
        return _open_json(path, importer)
    return _open_csv(path, importer)


# -- header detection ---------------------------------------------------------------------------


def _header_map(
    cells: tuple[Any, ...], importer: type[ImportType]
) -> tuple[dict[int, str], list[str]] | None:
    """Column positions of a header row, or None when the row is not the header."""
    columns: dict[int, str] = {}
    ignored: list[str] = []
    for position, cell in enumerate(cells):
        if cell is None or str(cell).strip() == "":
            continue
        column = importer.column_for(cell)
        if column is None or column.name in columns.values():
            ignored.append(str(cell).strip())
        else:
            columns[position] = column.name
    if all(column.name in columns.values() for column in importer.required()):
        return columns, ignored
    return None


class _HeaderSearch:
    """Looks for the header row in the first rows of one sheet or several, remembering the first
    filled row seen, for the message when there is none."""

    def __init__(self, importer: type[ImportType]) -> None:
        self.importer = importer
        self.first_row: tuple[Any, ...] | None = None

    def header(
        self, numbered: Iterator[tuple[int, tuple[Any, ...]]]
    ) -> tuple[int, dict[int, str], list[str]] | None:
        """(row number, columns, ignored headers) of the header; `numbered` goes on after it."""
        for number, cells in numbered:
            if self.first_row is None and not _is_blank(cells):
                self.first_row = cells
            if found := _header_map(cells, self.importer):
                return number, *found
            if number >= HEADER_SEARCH_ROWS:
                break
        return None

    def refusal(self) -> FileRefused:
        return _no_header(self.importer, self.first_row)


def _no_header(importer: type[ImportType], first: tuple[Any, ...] | None) -> FileRefused:
    wanted = ", ".join(c.name for c in importer.required())
    seen = ", ".join(str(c) for c in (first or ()) if c not in (None, "")) or "nothing"
    return FileRefused(
        "no_header",
        f"no header row with the required columns ({wanted}) in the "
        f"first {HEADER_SEARCH_ROWS} rows; the first row has: {seen}",
    )


def _is_blank(cells: tuple[Any, ...]) -> bool:
    for cell in cells:  # a loop that stops at the first filled cell: most rows stop at once
        if cell is not None and not (isinstance(cell, str) and not cell.strip()):
            return False
    return True


def _rows(
    numbered: Iterator[tuple[int, tuple[Any, ...]]], columns: dict[int, str]
) -> Iterator[tuple[int, dict[str, Any]]]:
    names = list(columns.values())
    if not names:  # no header cell matched a column: rows carry nothing
        yield from ((number, {}) for number, cells in numbered if not _is_blank(cells))
        return
    width = max(columns) + 1
    pick = operator.itemgetter(*columns)
    padding = (None,) * width
    for number, cells in numbered:
        if _is_blank(cells):
            continue
        if len(cells) < width:
            cells = (*cells, *padding[len(cells) :])
        picked = pick(cells)
        yield number, dict(zip(names, picked if len(names) > 1 else (picked,), strict=True))


# -- xlsx --------------------------------------------------------------------------------------


def _open_xlsx(path: Path, importer: type[ImportType]) -> Table:
    try:
        workbook = xlsx.Workbook(path)
    except (KeyError, ValueError, ParseError, zipfile.BadZipFile, OSError) as exc:
        raise FileRefused("corrupt", f"the workbook cannot be read ({exc})") from None
    search = _HeaderSearch(importer)
    try:
        for title, sheet in workbook.sheets:
            numbered = workbook.rows(sheet)
            if found := search.header(numbered):
                number, columns, ignored = found
                estimate = max(0, workbook.dimension_rows(sheet) - number)
                rows = _rows(_guarded(numbered), columns)
                return Table("xlsx", number, columns, ignored, estimate, rows, title, [workbook])
    except (KeyError, ValueError, ParseError, zipfile.BadZipFile, OSError, EOFError) as exc:
        workbook.close()
        raise FileRefused("corrupt", f"the workbook is damaged ({exc})") from None
    workbook.close()
    raise search.refusal()


def _guarded(rows: Iterator[tuple[int, tuple[Any, ...]]]) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """Damage found past the header (a truncated sheet) is a refusal, not a crash."""
    try:
        yield from rows
    except (ParseError, zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise FileRefused("corrupt", f"the workbook is damaged ({exc})") from None


# -- ods ---------------------------------------------------------------------------------------

ODS_DAMAGE = (KeyError, ValueError, ParseError, zipfile.BadZipFile, OSError, EOFError)


def _open_ods(path: Path, importer: type[ImportType]) -> Table:
    try:
        book = ods.Spreadsheet(path)
    except ODS_DAMAGE as exc:
        raise FileRefused("corrupt", f"the spreadsheet cannot be read ({exc})") from None
    search = _HeaderSearch(importer)
    sheets = book.sheets()  # the table closes it: the sheet's rows read on from its stream
    try:
        for title, numbered in sheets:
            if found := search.header(numbered):
                number, columns, ignored = found
                estimate = max(0, book.row_count() - number)
                rows = _rows(_guarded(numbered), columns)
                return Table("ods", number, columns, ignored, estimate, rows, title, [sheets, book])
    except ODS_DAMAGE as exc:
        book.close()
        raise FileRefused("corrupt", f"the spreadsheet is damaged ({exc})") from None
    book.close()
    raise search.refusal()


# -- xls ---------------------------------------------------------------------------------------


def _open_calamine(path: Path) -> Any:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        return CalamineWorkbook.from_path(path)
    except CalamineError as exc:  # an Office 97-2003 file of another kind, or a damaged one
        raise FileRefused(
            "unsupported_type", f"the file cannot be read as an Excel 97-2003 workbook ({exc})"
        ) from None


def _open_xls(path: Path, importer: type[ImportType]) -> Table:
    """An Excel 97-2003 workbook, read by python-calamine: a sheet of this format holds at most
    65,536 rows, so having one in memory at a time is bounded by the format itself."""
    from python_calamine import CalamineError

    book = _open_calamine(path)
    search = _HeaderSearch(importer)
    try:
        for index, title in enumerate(book.sheet_names):
            sheet = book.get_sheet_by_index(index)
            if sheet.start is None:  # an empty sheet
                continue
            numbered = _calamine_rows(sheet)
            if found := search.header(numbered):
                number, columns, ignored = found
                estimate = max(0, sheet.end[0] + 1 - number)
                rows = _rows(numbered, columns)
                return Table("xls", number, columns, ignored, estimate, rows, title, [book])
    except CalamineError as exc:
        book.close()
        raise FileRefused("corrupt", f"the workbook is damaged ({exc})") from None
    book.close()
    raise search.refusal()


def _calamine_rows(sheet: Any) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """(row number, values from column A) of a sheet: calamine's rows start at the first row
    of the sheet and at the first column that holds something, and give "" for empty cells."""
    padding = (None,) * sheet.start[1]
    for number, cells in enumerate(sheet.iter_rows(), start=1):
        yield number, (*padding, *(None if cell == "" else cell for cell in cells))


# -- csv ---------------------------------------------------------------------------------------


def _encoding(path: Path) -> str:
    """utf-8-sig when the whole file decodes as UTF-8, else Windows-1252 (strictly)."""
    for encoding in ("utf-8-sig", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as raw:
                while chunk := raw.read(1 << 20):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise FileRefused(
        "bad_encoding",
        "the text is neither UTF-8 nor Windows-1252: save the CSV as UTF-8 and upload it again",
    )


def _dialect(sample: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        return csv.excel


def _count_lines(path: Path) -> int:
    with path.open("rb") as raw:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: raw.read(1 << 20), b""))


def _open_csv(path: Path, importer: type[ImportType]) -> Table:
    encoding = _encoding(path)
    handle = path.open("r", encoding=encoding, newline="")
    dialect = _dialect(handle.read(64 * 1024))
    handle.seek(0)
    reader = csv.reader(handle, dialect)
    numbered = zip(itertools.count(1), map(tuple, reader))
    search = _HeaderSearch(importer)
    try:
        found = search.header(numbered)
    except csv.Error as exc:
        handle.close()
        raise FileRefused("corrupt", f"the CSV cannot be parsed ({exc})") from None
    if not found:
        handle.close()
        raise search.refusal()
    number, columns, ignored = found
    estimate = max(0, _count_lines(path) - number)
    rows = _rows(_csv_guarded(numbered, after=number), columns)
    return Table("csv", number, columns, ignored, estimate, rows, closers=[handle])


def _csv_guarded(
    numbered: Iterator[tuple[int, tuple[Any, ...]]], *, after: int
) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """A row the csv module cannot parse ends the import with a refusal naming the row."""
    last = after
    try:
        for last, cells in numbered:
            yield last, cells
    except csv.Error as exc:
        row = last + 1
        if "field larger than field limit" in str(exc):
            raise FileRefused(
                "corrupt",
                f"the CSV cannot be read at row {row}: a field is longer than "
                f"{csv.field_size_limit():,} characters (a quote left open, or not a CSV?)",
            ) from None
        raise FileRefused("corrupt", f"the CSV cannot be read at row {row} ({exc})") from None


# -- json --------------------------------------------------------------------------------------


def _open_json(path: Path, importer: type[ImportType]) -> Table:
    try:
        with path.open("rb") as raw:
            document = json.load(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FileRefused("corrupt", f"the JSON cannot be parsed ({exc})") from None
    records = document.get("records") if isinstance(document, dict) else document
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise FileRefused(
            "invalid_json", 'JSON must be a list of objects, or {"records": [ {...}, ... ]}'
        )
    headers = list(dict.fromkeys(key for record in records for key in record))
    found = _header_map(tuple(headers), importer)
    if not found:
        raise _no_header(importer, tuple(headers))
    columns, ignored = found
    by_key = {headers[pos]: name for pos, name in columns.items()}
    rows = (
        (n, {name: record.get(key) for key, name in by_key.items()})
        for n, record in enumerate(records, start=1)
        if record
    )
    return Table("json", 0, columns, ignored, len(records), rows)
