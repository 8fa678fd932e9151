from __future__ import annotations

import datetime as dt

import pytest

from tests.uploads.files import imei, sa_id
from uploads import validators as v

ID = sa_id(dt.date(1980, 1, 1))


def test_id_number_from_text_number_and_float_is_the_same() -> None:
    assert v.id_number(ID) == v.id_number(int(ID)) == v.id_number(float(ID)) == ID


def test_id_number_that_lost_leading_zeros_in_a_number_cell_is_restored() -> None:
    born_2001 = sa_id(dt.date(2001, 3, 4))  # starts with 0
    assert v.id_number(int(born_2001)) == born_2001


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("8.00101E+12", "is in scientific notation and lost digits"),
        (8001015009.5, "lost digits as a decimal number"),
        ("800101500908", "has 12 digits, not 13"),
        ("80010150090A7", "must contain digits only"),
        (ID[:-1] + str((int(ID[-1]) + 1) % 10), "fails its check digit"),
        (sa_id(dt.date(1980, 1, 1)).replace("800101", "801301", 1), "valid birth date"),
    ],
)
def test_bad_id_numbers_say_what_is_wrong(raw: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        v.id_number(raw)


def test_imei_needs_fifteen_digits_and_a_valid_check_digit() -> None:
    good = imei(123)
    assert v.imei(good) == good
    with pytest.raises(ValueError, match="fails its check digit"):
        v.imei(good[:-1] + str((int(good[-1]) + 1) % 10))


@pytest.mark.parametrize(
    "raw",
    [
        "082 123 4567",
        "0821234567",
        "+27 82 123 4567",
        "27821234567",
        821234567,
        "(082) 123-4567",
        "0027821234567",
    ],
)
def test_cell_numbers_are_normalised(raw: object) -> None:
    assert v.cell_number(raw) == "+27821234567"


@pytest.mark.parametrize("raw", ["0121234567", "12345", "082 123 456", "abc"])
def test_landlines_and_junk_are_not_cell_numbers(raw: str) -> None:
    with pytest.raises(ValueError, match="not a South African mobile number"):
        v.cell_number(raw)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("Gauteng", "GP"),
        ("kwazulu natal", "KZN"),
        ("KZN", "KZN"),
        ("North-West", "NW"),
        ("wc", "WC"),
    ],
)
def test_provinces_by_name_or_code(raw: str, code: str) -> None:
    assert v.province(raw) == code


def test_unknown_province_lists_the_nine() -> None:
    with pytest.raises(ValueError, match="not one of the nine"):
        v.province("Transvaal")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (dt.datetime(1980, 2, 1), dt.date(1980, 2, 1)),  # noqa: DTZ001 (an Excel date cell)
        (29252, dt.date(1980, 2, 1)),
        ("1980-02-01", dt.date(1980, 2, 1)),
        ("01/02/1980", dt.date(1980, 2, 1)),
        ("1 Feb 1980", dt.date(1980, 2, 1)),
        ("01.02.1980", dt.date(1980, 2, 1)),
    ],
)
def test_dates_from_cells_serials_and_day_first_text(raw: object, expected: dt.date) -> None:
    assert v.date(raw) == expected


def test_text_is_never_truncated() -> None:
    with pytest.raises(ValueError, match="is 101 characters long"):
        v.bounded_text(100, "first name")("x" * 101)


@pytest.mark.parametrize(
    "address",
    [
        "thabo@example.org",
        "t.mokoena+list@mail.example.co.za",
        "A.B@Example.ORG",
        "o'brien@example.org",
        "user@[127.0.0.1]",
    ],
)
def test_valid_emails_are_accepted_and_lowercased(address: str) -> None:
    assert v.email(address) == address.lower()


@pytest.mark.parametrize(
    "address",
    [
        "thabo@",
        "a..b@example.org",
        "@example.org",
        "thabo@example",
        "a b@example.org",
        "thabo@-example.org",
        "x@example.c0m",
    ],
)
def test_invalid_emails_are_refused(address: str) -> None:
    with pytest.raises(ValueError, match="is not a valid address"):
        v.email(address)


def test_luhn_matches_known_numbers() -> None:
    assert v.luhn_ok("79927398713")
    assert not v.luhn_ok("79927398710")
    assert v.luhn_ok("490154203237518")
