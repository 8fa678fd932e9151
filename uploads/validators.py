"""Value parsers for the import types. Each takes a raw cell value (str, int, float, date, None)
and returns the clean value or raises ValueError with a message meant for the person who made the
file. Nothing is truncated or guessed silently."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import re
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

Parser = Callable[[Any], Any]

PROVINCES = {
    "EC": "Eastern Cape",
    "FS": "Free State",
    "GP": "Gauteng",
    "KZN": "KwaZulu-Natal",
    "LP": "Limpopo",
    "MP": "Mpumalanga",
    "NC": "Northern Cape",
    "NW": "North West",
    "WC": "Western Cape",
}
_PROVINCE_LOOKUP = {
    **{re.sub(r"[^a-z]", "", name.lower()): code for code, name in PROVINCES.items()},
    **{code.lower(): code for code in PROVINCES},
    "gt": "GP",
    "nl": "KZN",
    "lim": "LP",
    "natal": "KZN",
    "kzn": "KZN",
}
_SPACES_AND_DASHES = re.compile(r"[\s-]")
_CELL_PUNCTUATION = re.compile(r"[\s()./-]")
_NOT_LETTERS = re.compile(r"[^a-z]")
_SCIENTIFIC = re.compile(r"^\s*[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+\s*$")
_DATE_FORMATS = [
    "%Y-%m-%d",
    "%d/%m/%Y",
    "%d-%m-%Y",
    "%d.%m.%Y",
    "%Y/%m/%d",
    "%d %b %Y",
    "%d %B %Y",
    "%d/%m/%y",
    "%Y%m%d",
]
EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 = 1900-01-01 (with Excel's 1900 leap-year bug)


def text(value: Any) -> str:
    """A cell as trimmed text: numbers that are whole print without '.0'."""
    if type(value) is str:  # most cells: checked first
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def digits(value: Any, *, length: int, label: str) -> str:
    """A fixed-length number that must keep every digit (an ID number, an IMEI).

    A numeric cell lost only its leading zeros (Excel drops them), so it is padded back; a number
    in scientific notation or with decimals lost digits, and is refused with that explanation."""
    if isinstance(value, bool):
        raise ValueError(f"{label} must be {length} digits")
    if isinstance(value, float):
        if not value.is_integer() or abs(value) >= 2**53:
            raise ValueError(
                f"{label} {value!r} lost digits as a decimal number: "
                "format the column as text and enter it again"
            )
        value = int(value)
    if isinstance(value, int):
        raw = str(value)
        if len(raw) < length:
            raw = raw.zfill(length)
    else:
        raw = text(value)
        if raw.isdigit():  # the usual case: nothing to strip, no exponent possible
            pass
        elif _SCIENTIFIC.match(raw):
            raise ValueError(
                f"{label} {raw} is in scientific notation and lost digits: "
                "format the column as text and export again"
            )
        else:
            raw = _SPACES_AND_DASHES.sub("", raw)
    if not raw.isdigit():
        raise ValueError(f"{label} {text(value)!r} must contain digits only")
    if len(raw) != length:
        raise ValueError(f"{label} {raw} has {len(raw)} digits, not {length}")
    return raw


_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)  # a Luhn digit doubled, its digits summed


def luhn_ok(number: str) -> bool:
    odd = sum(map(int, number[-1::-2]))
    even = sum(map(_DOUBLED.__getitem__, map(int, number[-2::-2])))
    return (odd + even) % 10 == 0


def id_number(value: Any) -> str:
    """A South African ID number: 13 digits, a real birth date (YYMMDD), citizenship 0-2, Luhn."""
    number = digits(value, length=13, label="ID number")
    if id_birth_date(number) is None:
        raise ValueError(f"ID number {number} does not start with a valid birth date (YYMMDD)")
    if number[10] not in "012":
        raise ValueError(
            f"ID number {number} has citizenship digit {number[10]} (must be 0, 1 or 2)"
        )
    if not luhn_ok(number):
        raise ValueError(f"ID number {number} fails its check digit (a typing error?)")
    return number


def id_birth_date(number: str) -> dt.date | None:
    """The birth date in an ID number; the century is the one that puts it in the past."""
    return _birth_date(number[:6], _today())


_TODAY: list[tuple[dt.date, float]] = []  # (today, the timestamp of the midnight that ends it)


def _today() -> dt.date:
    """dt.date.today(), asked of the clock only once a day: it costs more than a row's checks."""
    now = time.time()
    if not _TODAY or now >= _TODAY[0][1]:
        today = dt.date.fromtimestamp(now)  # noqa: DTZ012 (a calendar date, not an instant)
        midnight = dt.datetime.combine(today + dt.timedelta(days=1), dt.time())
        _TODAY[:] = [(today, midnight.timestamp())]
    return _TODAY[0][0]


# Every row's ID is checked twice (the ID, then against date_of_birth) and birth dates repeat:
# a century of YYMMDD fits in the cache.
@functools.lru_cache(maxsize=50_000)
def _birth_date(yymmdd: str, today: dt.date) -> dt.date | None:
    yy, mm, dd = int(yymmdd[0:2]), int(yymmdd[2:4]), int(yymmdd[4:6])
    for century in (2000, 1900):
        try:
            born = dt.date(century + yy, mm, dd)
        except ValueError:
            return None
        if born <= today:
            return born
    return None


def imei(value: Any) -> str:
    number = digits(value, length=15, label="IMEI")
    if not luhn_ok(number):
        raise ValueError(f"IMEI {number} fails its check digit (a typing error?)")
    return number


def cell_number(value: Any) -> str:
    """A South African mobile number, normalised to +27XXXXXXXXX."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raw = text(value)  # a numeric cell lost its leading 0
    else:
        raw = text(value)
        if not raw.isdigit():
            raw = _CELL_PUNCTUATION.sub("", raw)
    if raw.startswith("+27"):
        national = raw[3:]
    elif raw.startswith("0027"):
        national = raw[4:]
    elif raw.startswith("27") and len(raw) == 11:
        national = raw[2:]
    elif raw.startswith("0"):
        national = raw[1:]
    else:
        national = raw
    if not (national.isdigit() and len(national) == 9 and national[0] in "678"):
        raise ValueError(
            f"cell number {text(value)!r} is not a South African mobile number "
            "(e.g. 082 123 4567 or +27 82 123 4567)"
        )
    return f"+27{national}"


def province(value: Any) -> str:
    key = _NOT_LETTERS.sub("", text(value).lower())
    if key not in _PROVINCE_LOOKUP:
        raise ValueError(
            f"province {text(value)!r} is not one of the nine ({', '.join(PROVINCES.values())})"
        )
    return _PROVINCE_LOOKUP[key]


# A plainly valid address (dot-atom local part, hostname labels, an alphabetic top level):
# accepted without the full validator, which then only sees the unusual ones.
_PLAIN_EMAIL = re.compile(
    r"^[a-z0-9_%+-]+(?:\.[a-z0-9_%+-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
)


def email(value: Any) -> str:
    address = text(value).lower()
    if len(address) <= 254 and _PLAIN_EMAIL.match(address):
        return address
    try:
        validate_email(address)
    except ValidationError:
        raise ValueError(f"email {text(value)!r} is not a valid address") from None
    return address


def date(value: Any) -> dt.date:
    """A date cell, an Excel serial number, or text (ISO, or day first as in South Africa)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        if 1 <= value < 2958466:
            return EXCEL_EPOCH + dt.timedelta(days=int(value))
        raise ValueError(f"date {value!r} is not an Excel date")
    raw = text(value)
    if len(raw) == 10 and raw[4] == "-":
        with contextlib.suppress(ValueError):
            return dt.date.fromisoformat(raw)
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(raw, fmt).date()  # noqa: DTZ007 (a calendar date)
        except ValueError:
            continue
    raise ValueError(f"date {raw!r} is not a date (use 2026-01-31 or 31/01/2026)")


def bounded_text(max_length: int, label: str) -> Parser:
    def parse(value: Any) -> str:
        clean = text(value)
        if len(clean) > max_length:
            raise ValueError(f"{label} is {len(clean)} characters long (at most {max_length})")
        return clean

    return parse


def choice(options: dict[str, str], label: str) -> Parser:
    """One of `options` (keys are what is stored; values or keys are accepted, any case)."""
    lookup = {k.lower(): k for k in options} | {v.lower(): k for k, v in options.items()}

    def parse(value: Any) -> str:
        key = text(value).lower()
        if key not in lookup:
            raise ValueError(f"{label} {text(value)!r} must be one of {', '.join(options)}")
        return lookup[key]

    return parse
