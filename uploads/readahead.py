"""Items produced in a thread, a step ahead of the code that consumes them.

An import is two halves that wait on different things: reading and validating a batch is this
process's Python, writing it is mostly the database's (PostgreSQL's own process, SQLite's C code
that lets go of the GIL). Read the next batch while the last one is written and an import takes
about as long as its larger half, not the sum of both.
"""

from __future__ import annotations

import contextlib
import queue
import sys
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")

# How long a thread that has the GIL keeps it from one waiting for it (Python's default is 5 ms).
# The writer waits for the database a few dozen times per batch, and after each answer it waits for
# the reading thread to let go of the GIL. 100k rows of xlsx on PostgreSQL (a noisy machine):
# 4.9-5.0 s without the thread; with it 4.6-4.7 s at 5 ms, 4.2-4.6 s at 0.05-1 ms.
SWITCH_INTERVAL = 0.0005


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


_END = object()


@contextlib.contextmanager
def read_ahead(items: Iterator[T], *, depth: int = 1) -> Iterator[Iterator[T]]:
    """`items`, produced by a thread at most `depth` items ahead of the consumer. An exception
    raised while producing is raised to the consumer where the item would have been; a consumer
    that stops early (an exception, a break) stops the thread before the block is left."""
    ready: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                ready.put(item)
        except BaseException as exc:  # handed to the consumer, raised there
            ready.put(_Failed(exc))
            return
        finally:
            if close := getattr(items, "close", None):  # a generator left halfway: its cleanup
                close()
        ready.put(_END)

    def consume() -> Iterator[T]:
        while (item := ready.get()) is not _END:
            if isinstance(item, _Failed):
                raise item.error
            yield item  # type: ignore[misc]

    thread = threading.Thread(target=produce, name="read-ahead", daemon=True)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(min(interval, SWITCH_INTERVAL))
    thread.start()
    try:
        yield consume()
    finally:
        stop.set()
        while thread.is_alive():  # a producer blocked on a full queue is let through to the stop
            with contextlib.suppress(queue.Empty):
                ready.get(timeout=0.05)
        thread.join()
        sys.setswitchinterval(interval)
