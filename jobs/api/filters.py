"""Moved to jobs.filters (the one filter of jobs, for the API, the admin, the commands and the
dashboard). Kept for dashboard/views/jobs.py, which imports JobFilter from here; new code imports
jobs.filters, preferably its job_filter(params, user=...)."""

from jobs.filters import JobFilter, UtcDateTimeField, UtcDateTimeFilter, as_utc

__all__ = ["JobFilter", "UtcDateTimeField", "UtcDateTimeFilter", "as_utc"]
