"""What the dashboard says after an action: what happened, what did not, and why."""

from __future__ import annotations

from jobs.services import BulkOutcome


def jobs_count(n: int) -> str:
    return f"{n:,} job" if n == 1 else f"{n:,} jobs"


def bulk_outcome_message(outcome: BulkOutcome) -> str:
    return outcome.summary()
