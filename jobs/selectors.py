"""Reads of the job ledger."""

from __future__ import annotations

from django.db.models import Count

from jobs.models import JobStatus, QueueJob


def job_counts_by_status() -> dict[str, int]:
    """Every status with its number of jobs, zeros included, in lifecycle order."""
    counts = dict(
        QueueJob.objects.order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return {status: counts.get(status, 0) for status in JobStatus.values}
