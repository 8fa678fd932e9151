"""Diagnostic job types for health checks, benchmarks and tests (settings.DIAGNOSTIC_JOBS)."""

from __future__ import annotations

import os
import time
from typing import Any

from jobs.context import JobContext
from jobs.registry import PermanentError, job_type


@job_type("system.noop", queue="default", timeout=60)
def noop(ctx: JobContext) -> dict[str, Any]:
    """Do nothing: measures the engine's own overhead."""
    return {"ok": True}


@job_type("system.sleep", queue="default", timeout=3600)
def sleep(ctx: JobContext) -> dict[str, Any]:
    """Sleep for data.seconds, reporting progress and honouring cancellation."""
    seconds = float(ctx.data.get("seconds", 1))
    steps = max(1, int(seconds * 10))
    for step in range(steps):
        ctx.check_cancelled()
        time.sleep(seconds / steps)
        ctx.progress(processed=step + 1, total=steps, stage="sleeping")
    return {"slept": seconds}


@job_type("system.fail", queue="default", timeout=60, backoff_base=1.0)
def fail(ctx: JobContext) -> dict[str, Any]:
    """Fail the first data.times attempts (all of them if unset), then succeed.
    With data.permanent, fail at once without retry; with data.exit, end the process abruptly
    (as a crashing extension would), leaving no outcome behind."""
    times = ctx.data.get("times")
    if ctx.data.get("exit"):
        os._exit(0)
    if ctx.data.get("permanent"):
        raise PermanentError("diagnostic permanent failure")
    if times is None or ctx.attempt <= int(times):
        raise RuntimeError(f"diagnostic failure on attempt {ctx.attempt}")
    return {"succeeded_on_attempt": ctx.attempt}
