"""What the dashboard says after an action: what happened, what did not, and why."""

from __future__ import annotations

from jobs.services import BulkOutcome


def jobs_count(n: int) -> str:
    return f"{n:,} job" if n == 1 else f"{n:,} jobs"


def bulk_outcome_message(outcome: BulkOutcome) -> str:
    """'2 retried; 1 skipped: completed jobs are not retried.'"""
    said = [f"{outcome.done:,} {outcome.action.past}"]
    if outcome.skipped:
        n = sum(outcome.skipped.values())
        statuses = " or ".join(sorted(outcome.skipped))
        said.append(f"{n:,} skipped: {statuses} jobs are not {outcome.action.past}")
    if outcome.moved:
        said.append(f"{outcome.moved:,} changed state before the action reached them")
    return "; ".join(said) + "."
