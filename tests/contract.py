"""Names the public contract fixes (DESIGN.md), written once for the tests that hold the code to
them: the tests keep their own copy rather than reading the code's, so a renamed key fails."""

from __future__ import annotations

# The seeds' queue counts, in their order: the API's stats, the queue_stats command's columns.
QUEUE_STAT_NAMES = [
    "waiting",
    "active",
    "completed",
    "failed",
    "delayed",
    "paused",
    "cancelled",
    "total",
]
