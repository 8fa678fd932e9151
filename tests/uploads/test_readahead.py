"""The read-ahead thread behind imports: order, errors and stopping early."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator

import pytest

from uploads.readahead import read_ahead


def test_items_arrive_in_order_and_the_switch_interval_is_restored() -> None:
    before = sys.getswitchinterval()
    with read_ahead(iter(range(1000)), depth=3) as items:
        assert list(items) == list(range(1000))
    assert sys.getswitchinterval() == before


def test_an_error_while_producing_is_raised_where_its_item_would_be() -> None:
    def numbers() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("the file is damaged")

    seen = []
    with pytest.raises(ValueError, match="the file is damaged"), read_ahead(numbers()) as items:
        seen.extend(items)
    assert seen == [1, 2]


def test_a_consumer_that_stops_early_stops_the_producer_and_closes_it() -> None:
    produced, closed = [], threading.Event()

    def endless() -> Iterator[int]:
        try:
            n = 0
            while True:
                produced.append(n)
                yield n
                n += 1
        finally:
            closed.set()

    with read_ahead(endless()) as items:
        for item in items:
            if item == 5:
                break
    assert closed.is_set()
    assert not [t for t in threading.enumerate() if t.name == "read-ahead"]
    assert len(produced) <= 9  # the consumer's 6, the queue's one, one being put, one more
