"""The natural keys an import has seen, to find rows that repeat an earlier row's key.

A million keys in a Python set cost ~64 MB (the set's table and an int object per key), most
of a worker's memory on a large csv. Keys of digits only (ID numbers, IMEIs: the natural keys
of the built-in types) are kept instead as 8-byte ints in one open-addressing table, ~16 MB for
a million; any other key goes in a set. Membership is exact: a digit key is stored with its
length, so "0012" and "12" stay different keys, as they are in the table.
"""

from __future__ import annotations

from array import array
from typing import Any

_GOLDEN = 0x9E3779B97F4A7C15  # Fibonacci hashing: the top bits of key * 2**64 / phi
_BITS64 = (1 << 64) - 1
_MAX_DIGITS = 17  # 10**17 * 32 + 31 < 2**63: fits a signed 8-byte slot with its length


class KeySet:
    def __init__(self, *, expected: int = 0) -> None:
        """`expected`: about how many keys will come (the file's rows): a table sized for them
        from the start is never copied into a larger one while the import runs."""
        self._others: set[Any] = set()
        self._used = 0
        self._resize(max(1 << 10, 1 << (2 * expected).bit_length()))

    def __len__(self) -> int:
        return self._used + len(self._others)

    def add(self, key: Any) -> bool:
        """Add `key`; False when it was there already."""
        if type(key) is str and key.isdigit() and key.isascii() and len(key) <= _MAX_DIGITS:
            return self._add_number(int(key) * 32 + len(key))  # never 0: 0 marks a free slot
        if key in self._others:
            return False
        self._others.add(key)
        return True

    def _add_number(self, number: int) -> bool:
        table, mask = self._table, self._mask
        slot = ((number * _GOLDEN) & _BITS64) >> self._shift
        while True:
            held = table[slot]
            if held == number:
                return False
            if not held:
                break
            slot = (slot + 1) & mask  # linear probing: the table is at most half full
        table[slot] = number
        self._used += 1
        if self._used * 2 > len(table):
            self._resize(len(table) * 2)
        return True

    def _resize(self, size: int) -> None:
        old = getattr(self, "_table", array("q"))
        self._table = array("q", [0]) * size
        self._mask, self._shift = size - 1, 64 - (size.bit_length() - 1)
        self._used = 0
        for number in old:
            if number:
                self._add_number(number)
