"""Checking an import's rows: parse, validate, duplicates, and the checkpoint (no database)."""

from __future__ import annotations

from typing import Any

from tests.uploads.files import imei
from uploads.importers import DeviceImport
from uploads.importing.checking import Checked, RowChecker
from uploads.importing.reading import Batch
from uploads.importing.stats import ImportTiming


def device(n: int, status: str = "active") -> dict[str, Any]:
    return {"imei": imei(n), "brand": "Nokia", "model": "3310", "status": status}


def checker(resume_after: int = 0) -> RowChecker:
    return RowChecker(
        DeviceImport, resume_after=resume_after, expected_rows=10, timing=ImportTiming()
    )


def numbered(rows: list[dict[str, Any]], first: int = 2) -> Batch:
    return list(enumerate(rows, start=first))


def test_a_repeated_key_is_a_problem_of_the_later_row_only() -> None:
    checked = checker().batch_check(numbered([device(1), device(2), device(1)]))
    assert [row.row_number for row in checked.valid] == [2, 3]
    ((number, problems),) = [(row.row_number, row.problems) for row in checked.invalid]
    assert (number, [p.code for p in problems]) == (4, ["duplicate"])
    assert checked.counts.validation() == {
        "total_rows": 3,
        "valid_rows": 2,
        "invalid_rows": 0,
        "duplicate_rows": 1,
    }


def test_an_invalid_row_is_counted_invalid_and_keeps_its_raw_values() -> None:
    bad = device(3, status="melted")
    checked = checker().batch_check(numbered([device(1), bad]))
    (row,) = checked.invalid
    assert (row.row_number, row.values["_raw"]) == (3, bad)
    assert (checked.counts.invalid_rows, checked.counts.duplicate_rows) == (1, 0)


def test_duplicates_are_found_across_batches() -> None:
    batches = [numbered([device(1), device(2)]), numbered([device(2)], first=4)]
    first, second = checker().checked(batches)
    assert (len(first.valid), len(second.valid), second.counts.duplicate_rows) == (2, 0, 1)


def test_rows_up_to_the_checkpoint_are_not_checked_again_but_their_keys_count() -> None:
    """Rows 2-3 were committed by an earlier run; row 4 is past the checkpoint and row 5
    repeats row 2's key."""
    batches = [numbered([device(1), device(2)]), numbered([device(3), device(1)], first=4)]
    (checked,) = list(checker(resume_after=3).checked(batches))
    assert isinstance(checked, Checked)
    assert [row.row_number for row in checked.valid] == [4]
    assert [row.row_number for row in checked.invalid] == [5]
    assert checked.last_row == 5


def test_a_batch_across_the_checkpoint_checks_only_the_rows_past_it() -> None:
    (checked,) = list(
        checker(resume_after=3).checked([numbered([device(1), device(2), device(3)])])
    )
    assert [row.row_number for row in checked.valid] == [4]
    assert checked.counts.total_rows == 1
