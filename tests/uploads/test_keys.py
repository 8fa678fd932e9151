"""The key set that finds rows repeating an earlier row's natural key."""

from __future__ import annotations

from uploads.keys import KeySet


def test_a_key_is_new_once_then_a_duplicate_past_many_growths() -> None:
    keys = KeySet()
    numbers = [f"{8001015000000 + n * 7919:013d}" for n in range(50_000)]
    assert all(keys.add(number) for number in numbers)
    assert not any(keys.add(number) for number in numbers[::997])
    assert len(keys) == 50_000


def test_leading_zeros_and_other_keys_stay_distinct() -> None:
    keys = KeySet()
    assert [keys.add(k) for k in ["12", "012", "0012", "12", "ABC-1", "ABC-1", "1" * 25]] == [
        True,
        True,
        True,
        False,
        True,
        False,
        True,
    ]
    assert len(keys) == 5
