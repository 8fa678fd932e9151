"""Real files for the upload tests, generated on the fly."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
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
