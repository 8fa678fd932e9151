"""A streaming xlsx reader: rows of cell values straight from the sheet XML.

openpyxl's read-only mode spent most of an import's time parsing; this reader walks the same XML
with the standard library's incremental parser, ~4x faster, keeping memory bounded: rows are
discarded as they are read, and the shared strings (every distinct text of the workbook) live in
one buffer with an offsets array rather than as millions of separate objects.
Values: str, int, float, bool, datetime (for date-formatted cells) or None; a formula cell gives
the value it was last calculated to, or uploads.cells.FormulaWithoutValue when it has none.
"""

from __future__ import annotations

import codecs
import datetime as dt
import re
import zipfile
from array import array
from collections.abc import Iterator
from typing import IO, Any
from xml.etree.ElementTree import XML, ParseError, iterparse

from uploads.cells import FormulaWithoutValue

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
DATE_FORMAT_IDS = {*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)}
_DATE_TOKENS = re.compile(r"(?<![\\_])[dmyhs]", re.IGNORECASE)
_NOT_TOKENS = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')
EPOCH_1900 = dt.datetime(1899, 12, 30)  # noqa: DTZ001 (Excel times have no zone)
EPOCH_1904 = dt.datetime(1904, 1, 1)  # noqa: DTZ001
ROW, VALUE, INLINE, TEXT = f"{NS}row", f"{NS}v", f"{NS}is", f"{NS}t"
FORMULA = f"{NS}f"
_column_cache: dict[str, int] = {}


class SharedStrings:
    """Every distinct text of the workbook, joined into one string per 65,536 texts, with an
    array of where each text starts in its string: a million texts cost their characters and
    4 bytes each, not a million objects, and are never copied a second time."""

    def __init__(self, source: IO[bytes] | None) -> None:
        self.chunks: list[str] = []
        self.starts = array("I")
        pending: list[str] = []
        position = 0
        for text in _string_items(source):
            self.starts.append(position)
            pending.append(text)
            position += len(text)
            if len(pending) == _TEXTS_PER_CHUNK:
                self.chunks.append("".join(pending))
                pending, position = [], 0
        self.chunks.append("".join(pending))
        self.count = len(self.starts)

    def __getitem__(self, index: int) -> str:
        if not 0 <= index < self.count:
            raise IndexError(f"shared string {index} does not exist")
        chunk = index >> _CHUNK_BITS
        following = index + 1
        end = (
            self.starts[following]
            if following < self.count and following >> _CHUNK_BITS == chunk
            else None
        )
        return self.chunks[chunk][self.starts[index] : end]


_CHUNK_BITS = 16
_TEXTS_PER_CHUNK = 1 << _CHUNK_BITS


def _string_items(source: IO[bytes] | None) -> Iterator[str]:
    if source is None:
        return
    parent: Any = None
    for event, element in iterparse(source, events=("start", "end")):
        if event == "start":
            parent = parent if parent is not None else element  # <sst>
        elif element.tag == f"{NS}si":
            yield _string_item(element)
            parent.clear()  # drop the parsed items: memory stays flat


def _string_item(element: Any) -> str:
    """The text of <si>: plain <t>, or rich-text runs <r><t>; phonetic guides (<rPh>) are not
    part of the value."""
    plain = element.find(TEXT)
    if plain is not None:
        return plain.text or ""
    return "".join(run.findtext(f"{NS}t") or "" for run in element.iter(f"{NS}r"))


def _column_index(reference: str) -> int:
    """0 for "A7", 26 for "AA3" (cached: a sheet has few distinct column letters)."""
    letters = reference.rstrip("0123456789")
    index = _column_cache.get(letters)
    if index is None:
        index = 0
        for char in letters or "A":
            index = index * 26 + ord(char) - 64
        index = _column_cache.setdefault(letters, index - 1)
    return index


def _is_date_format(code: str) -> bool:
    return bool(_DATE_TOKENS.search(_NOT_TOKENS.sub("", code))) and "General" not in code


class Workbook:
    def __init__(self, path: Any) -> None:
        self.archive = zipfile.ZipFile(path)
        self.sheets = self._sheet_paths()
        self.epoch = EPOCH_1904 if self._date1904 else EPOCH_1900
        self.date_styles = self._date_styles()
        self.strings = SharedStrings(self._open_optional("xl/sharedStrings.xml"))

    def close(self) -> None:
        self.archive.close()

    def _open_optional(self, name: str) -> IO[bytes] | None:
        return self.archive.open(name) if name in self.archive.namelist() else None

    def _sheet_paths(self) -> list[tuple[str, str]]:
        rels = {}
        with self.archive.open("xl/_rels/workbook.xml.rels") as source:
            for _, element in iterparse(source):
                if element.tag == f"{PKG_REL_NS}Relationship":
                    target = element.get("Target", "").lstrip("/")
                    rels[element.get("Id")] = target if target.startswith("xl/") else f"xl/{target}"
        sheets, self._date1904 = [], False
        with self.archive.open("xl/workbook.xml") as source:
            for _, element in iterparse(source):
                if element.tag == f"{NS}sheet":
                    sheets.append((element.get("name", ""), rels[element.get(f"{REL_NS}id")]))
                elif element.tag == f"{NS}workbookPr":
                    self._date1904 = element.get("date1904") in ("1", "true")
        return sheets

    def _date_styles(self) -> set[int]:
        """Indexes of the cell styles whose number format shows a date or time."""
        source = self._open_optional("xl/styles.xml")
        if source is None:
            return set()
        custom: dict[int, str] = {}
        formats: list[int] = []
        with source:
            for _, element in iterparse(source):
                if element.tag == f"{NS}numFmt":
                    custom[int(element.get("numFmtId", "0"))] = element.get("formatCode", "")
                elif element.tag == f"{NS}cellXfs":
                    formats = [int(xf.get("numFmtId", "0")) for xf in element.iter(f"{NS}xf")]
        return {
            index
            for index, fmt in enumerate(formats)
            if fmt in DATE_FORMAT_IDS or (fmt in custom and _is_date_format(custom[fmt]))
        }

    def rows(self, sheet_path: str) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """(row number as Excel shows it, the row's values with None for empty cells).

        The sheet is scanned with regular expressions (see SheetScanner), several times faster
        than an XML parser; anything the scanner does not know for certain (a comment, a
        truncated or malformed sheet, an unusual encoding) hands the sheet to the XML parser,
        which goes on after the rows already given, so values and errors are the parser's."""
        given = 0
        try:
            for row in SheetScanner(self, sheet_path).rows():
                given += 1
                yield row
            return
        except _NotPlain:
            pass
        for row in self.parsed_rows(sheet_path):
            if given:
                given -= 1
                continue
            yield row

    def parsed_rows(self, sheet_path: str) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """rows(), by the XML parser alone."""
        with self.archive.open(sheet_path) as source:
            sheet_data = None
            for event, element in iterparse(source, events=("start", "end")):
                if event == "start":
                    if element.tag == f"{NS}sheetData":
                        sheet_data = element
                    continue
                if element.tag != ROW:
                    continue
                number = int(element.get("r", "0"))
                cells: dict[int, Any] = {}
                value = self._value
                for position, cell in enumerate(element):
                    reference = cell.get("r")
                    cells[_column_index(reference) if reference else position] = value(cell)
                if sheet_data is not None:
                    sheet_data.clear()  # drop parsed rows: memory stays flat
                if cells:
                    width = max(cells) + 1
                    yield number, tuple(cells.get(i) for i in range(width))

    def dimension_rows(self, sheet_path: str) -> int:
        """The last row the sheet declares (0 when it does not say)."""
        with self.archive.open(sheet_path) as source:
            for _, element in iterparse(source, events=("start",)):
                if element.tag == f"{NS}dimension":
                    last = element.get("ref", "").rpartition(":")[2] or element.get("ref", "")
                    digits = "".join(ch for ch in last if ch.isdigit())
                    return int(digits) if digits else 0
                if element.tag == f"{NS}sheetData":
                    return 0
        return 0

    def value_of(self, kind: str, style: str | None, raw: str | None) -> Any:
        """A cell's value from its type, style and the text of its <v> (not inline strings)."""
        if not raw:  # no value, or a formula never calculated
            return None
        if kind == "s":
            return self.strings[int(raw)]
        if kind in ("str", "e"):
            return raw
        if kind == "b":
            return raw == "1"
        number: int | float = int(raw) if raw.lstrip("-").isdigit() else float(raw)
        if int("0" if style is None else style) in self.date_styles:
            return self.epoch + dt.timedelta(days=float(number))
        return number

    def _value(self, cell: Any) -> Any:
        kind = cell.get("t", "n")
        if kind == "inlineStr":
            inline = cell.find(INLINE)
            return _string_item(inline) if inline is not None else ""
        raw = cell.findtext(VALUE)
        if not raw and kind != "str" and (formula := cell.find(FORMULA)) is not None:
            # A formula is read by the value it was last calculated to (t="str" with an empty
            # <v> is a calculated empty text); without one there is nothing to import, and
            # "required" would be the wrong thing to tell.
            return FormulaWithoutValue(f"={formula.text or ''}")
        return self.value_of(kind, cell.get("s"), raw)


class _NotPlain(Exception):
    """The sheet has something the scanner leaves to the XML parser."""


_ATTRS = r"""((?:\s+[^\s=<>/]+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*"""
_ATTR = re.compile(r"""([^\s=<>/]+)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')""")
_PLAIN_ATTRS = re.compile(r'(?:\s+r="([A-Z]{1,3}\d+)")?(?:\s+s="(\d+)")?(?:\s+t="(\w+)")?')
_ROOT = re.compile(r"(<\?xml[^>]*\?>)?\s*<(?:(\w+):)?worksheet" + _ATTRS + ">")
_ENCODING = re.compile(r"""encoding\s*=\s*["']([^"']*)["']""")
_CHUNK = 1 << 20


_TEXT = r"[^<&\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]*"  # as the XML parser gives it back


def _plain_cells(prefix: str) -> re.Pattern[str]:
    """One findall of this over a row gives, per cell, (column letters, style, type, <v> text,
    inline text, something else): plain cells as spreadsheet programs write them are taken
    apart by the pattern itself; anything else in the row fills the last group."""
    c = re.escape(f"{prefix}c")
    v, i, t = (re.escape(f"{prefix}{tag}") for tag in ("v", "is", "t"))
    return re.compile(
        rf'<{c}(?: r="([A-Z]{{1,3}})[0-9]+")?(?: s="([0-9]+)")?(?: t="([a-zA-Z]+)")?'
        rf"(?:/>|>(?:<{v}>({_TEXT})</{v}>|<{i}><{t}>({_TEXT})</{t}></{i}>)?</{c}>)"
        r"|(<[^>]*>?|[^\s<]+)"
    )


def _in_columns(values: dict[int, Any]) -> tuple[Any, ...]:
    """Cell values by column index, as a row from column A (None where a cell is left out)."""
    return tuple(values.get(i) for i in range(max(values) + 1)) if values else ()


def _attributes(text: str) -> dict[str, str]:
    return {name: double or single for name, double, single in _ATTR.findall(text)}


class SheetScanner:
    """Rows of a sheet read with regular expressions, for sheets written as spreadsheet programs
    write them: <row> elements holding <c> elements, values in <v> or inline <is><t>. A cell of
    any other shape (rich text, a formula, entities, carriage returns) is parsed on its own by
    the XML parser; anything else in the sheet raises _NotPlain."""

    def __init__(self, book: Workbook, sheet_path: str) -> None:
        self.book, self.sheet_path = book, sheet_path

    def rows(self) -> Iterator[tuple[int, tuple[Any, ...]]]:
        with self.book.archive.open(self.sheet_path) as source:
            self.source, self.decoder = source, codecs.getincrementaldecoder("utf-8")()
            head = source.read(_CHUNK)
            if not head.startswith((b"<", codecs.BOM_UTF8)):
                raise _NotPlain  # UTF-16, or not XML at all: the parser says what it is
            self.text, self.ended = self._decode(head.removeprefix(codecs.BOM_UTF8)), False
            root = self._match_growing(_ROOT, 0)
            encoding = _ENCODING.search(root.group(1) or "")
            if encoding and encoding.group(1).lower() not in ("utf-8", "utf8"):
                raise _NotPlain  # another encoding declared
            prefix, declared = root.group(2), _attributes(root.group(3))
            self.prefix = f"{prefix}:" if prefix else ""
            if declared.get(f"xmlns:{prefix}" if prefix else "xmlns") != NS[1:-1]:
                raise _NotPlain
            self.namespaces = " ".join(
                f'{name}="{uri}"' for name, uri in declared.items() if name.startswith("xmlns")
            )
            yield from self._sheet_rows(root.end())

    # -- the text, read as it is needed ----------------------------------------------------------
    def _decode(self, data: bytes, *, final: bool = False) -> str:
        try:
            return str(self.decoder.decode(data, final=final))
        except UnicodeDecodeError:
            raise _NotPlain from None

    def _more(self) -> bool:
        if self.ended:
            return False
        data = self.source.read(_CHUNK)
        self.ended = not data
        self.text += self._decode(data, final=self.ended)
        return True

    def _match_growing(self, pattern: re.Pattern[str], position: int) -> re.Match[str]:
        """`pattern` (which ends with ">") at `position`, reading on while it is not there."""
        while (found := pattern.match(self.text, position)) is None:
            if not self._more():
                raise _NotPlain
        return found

    def _find_growing(self, needle: str, position: int) -> int:
        while (at := self.text.find(needle, position)) < 0:
            if not self._more():
                raise _NotPlain  # cut off: the parser reports it
        return at

    # -- the sheet -------------------------------------------------------------------------------
    def _sheet_rows(self, position: int) -> Iterator[tuple[int, tuple[Any, ...]]]:
        p = re.escape(self.prefix)
        row_start = re.compile(rf'\s*<{p}row(?: r="([0-9]+)")?{_ATTRS}(/?)>')
        data_end = re.compile(rf"\s*</{p}sheetData\s*>")
        cell = re.compile(rf"<{p}c{_ATTRS}(?:/>|>(.*?)</{p}c\s*>)", re.DOTALL)
        plain = _plain_cells(self.prefix)
        row_end = f"</{self.prefix}row>"
        sheet_data = self._match_growing(
            re.compile(rf"<{p}sheetData{_ATTRS}(/?)>"),
            self._find_growing(f"<{self.prefix}sheetData", position),
        )
        position = sheet_data.end()
        while not sheet_data.group(2):  # <sheetData/> has no rows
            if end := data_end.match(self.text, position):
                position = end.end()
                break
            row = row_start.match(self.text, position)
            if row is None:
                if self._more():  # a row or the end, cut where the text was read up to
                    continue
                raise _NotPlain
            position = row.end()
            if row.group(3):  # <row/>
                continue
            number = int(row.group(1) or _attributes(row.group(2)).get("r", "0"))
            close = self._find_growing(row_end, position)
            values = self._plain_cells(plain, position, close)
            if values is None:
                values = _in_columns(self._cells(cell, position, close))
            position = close + len(row_end)
            if position > _CHUNK:  # let go of what was read
                self.text, position = self.text[position:], 0
            if values:
                yield number, values
        self._check_end(position)

    def _plain_cells(self, plain: re.Pattern[str], start: int, end: int) -> tuple[Any, ...] | None:
        """The cells of a row whose cells are all plain (see _plain_cells) and in column order,
        from column A, or None."""
        values: list[Any] = []
        value_of, columns = self.book.value_of, _column_cache
        cells = plain.findall(self.text, start, end)
        for letters, style, kind, number, inline, other in cells:
            if other:
                return None
            if letters:
                column = columns.get(letters)
                if column is None:
                    column = _column_index(letters)
                if column != len(values):
                    if column < len(values):  # out of order: the careful way sorts it out
                        return None
                    values.extend([None] * (column - len(values)))  # cells left out
            if kind == "inlineStr":
                values.append(inline)
            elif number:
                values.append(value_of(kind or "n", style or None, number))
            else:
                values.append(None)
        return tuple(values)

    def _cells(self, cell: re.Pattern[str], start: int, end: int) -> dict[int, Any]:
        text, values, value = self.text, {}, self._value
        position = start
        for index, found in enumerate(cell.finditer(text, start, end)):
            if found.start() != position and text[position : found.start()].strip():
                raise _NotPlain  # something else in the row
            position = found.end()
            attributes, inner = found.group(1), found.group(2)
            plain = _PLAIN_ATTRS.fullmatch(attributes)
            if plain:
                reference, style, kind = plain.groups()
            else:
                named = _attributes(attributes)
                reference, style, kind = named.get("r"), named.get("s"), named.get("t")
            column = _column_index(reference) if reference else index
            values[column] = value(kind or "n", style, inner, found)
        if text[position:end].strip():
            raise _NotPlain
        return values

    def _value(self, kind: str, style: str | None, inner: str | None, whole: re.Match[str]) -> Any:
        if inner is None or inner == "":
            return "" if kind == "inlineStr" else None
        if kind == "inlineStr":
            if inner.startswith("<is><t>") and inner.endswith("</t></is>"):
                plain = inner[7:-9]
                if "<" not in plain and "&" not in plain and "\r" not in plain:
                    return plain
        elif inner.startswith("<v>") and inner.endswith("</v>"):
            raw = inner[3:-4]
            if "<" not in raw and "&" not in raw and "\r" not in raw:
                return self.book.value_of(kind, style, raw)
        return self._parsed(whole)

    def _parsed(self, cell: re.Match[str]) -> Any:
        """A cell of any other shape, through the XML parser (with the sheet's namespaces)."""
        whole, opening = cell.group(0), cell.end(1) - cell.start(0)
        try:
            element = XML(f"{whole[:opening]} {self.namespaces}{whole[opening:]}")
        except ParseError:
            raise _NotPlain from None
        return self.book._value(element)

    def _check_end(self, position: int) -> None:
        """After </sheetData>, the rest must still close the sheet (a sheet cut off there is
        damaged, as the parser would say)."""
        while self._more():
            if len(self.text) - position > _CHUNK:
                self.text, position = self.text[position:], 0
        tail = self.text[position:].rstrip()
        if not tail.endswith(f"</{self.prefix}worksheet>"):
            raise _NotPlain
