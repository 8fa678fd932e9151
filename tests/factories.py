"""Factories for test data: plain functions with sensible defaults, overridable by keyword."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, User

from jobs.models import JobStatus, QueueJob
from uploads.models import Upload


def make_job(**fields: Any) -> QueueJob:
    defaults: dict[str, Any] = {
        "type": "system.noop",
        "queue": "default",
        "priority": 5,
        "status": JobStatus.PENDING,
    }
    defaults.update(fields)
    return QueueJob.objects.create(**defaults)


def make_upload(*, original_name: str, **fields: Any) -> Upload:
    """An upload row as the service records one, without a file on disk behind it."""
    file_type = original_name.rsplit(".", 1)[-1].lower()
    defaults: dict[str, Any] = {
        "file": f"uploads/stored.{file_type}",
        "size": 1,
        "sha256": "0" * 64,
        "file_type": file_type,
        "import_type": "members",
    }
    defaults.update(fields)
    return Upload.objects.create(original_name=original_name, **defaults)


def make_user(name: str, *groups: str, **flags: Any) -> User:
    user = User.objects.create_user(name, **flags)  # token auth: no password to hash
    for group in groups:
        user.groups.add(Group.objects.get_or_create(name=group)[0])
    return user
