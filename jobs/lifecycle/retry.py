"""What a failed attempt leads to: a retry after a backoff, or the job's failure. No database."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from jobs.lifecycle.table import target_of

Jitter = Callable[[float, float], float]


@dataclass(frozen=True)
class FailureDecision:
    """Retry at `retry_at` (after `delay` seconds), or fail the job when `retry_at` is None."""

    retry_at: dt.datetime | None = None
    delay: float | None = None

    @property
    def action(self) -> str:
        return "retry_later" if self.retry_at is not None else "fail"

    @property
    def status(self) -> str:
        return target_of(self.action)


def backoff_delay(
    *, base: float, cap: float, attempt: int, jitter: Jitter = random.uniform
) -> float:
    """Exponential backoff with "equal jitter": between half and all of base * 2^(attempt-1)."""
    ceiling = min(cap, base * 2 ** max(0, attempt - 1))
    return ceiling / 2 + jitter(0, ceiling / 2)  # jitter, not security


def failure_decide(
    *,
    attempts: int,
    max_attempts: int,
    backoff_base: float,
    backoff_max: float,
    permanent: bool,
    now: dt.datetime,
    jitter: Jitter = random.uniform,
) -> FailureDecision:
    """A permanent error, or the last allowed attempt, fails the job; any other failure retries
    after the backoff of its attempt number."""
    if permanent or attempts >= max_attempts:
        return FailureDecision()
    delay = backoff_delay(base=backoff_base, cap=backoff_max, attempt=attempts, jitter=jitter)
    return FailureDecision(retry_at=now + dt.timedelta(seconds=delay), delay=delay)
