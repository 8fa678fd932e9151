"""Factories for test data: plain functions with sensible defaults, overridable by keyword."""

from __future__ import annotations

from typing import Any

from jobs.models import JobStatus, QueueJob


def make_job(**fields: Any) -> QueueJob:
    defaults: dict[str, Any] = {
        "type": "system.noop",
        "queue": "default",
        "priority": 5,
        "status": JobStatus.PENDING,
    }
    defaults.update(fields)
    return QueueJob.objects.create(**defaults)
