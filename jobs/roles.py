"""Roles are Django groups. The seeds' admin roles set a user's default and highest priority;
queue_viewer and queue_operator are for staff (read everything / act on everything)."""

from __future__ import annotations

from typing import Any

ROLE_PRIORITY = {
    "super_admin": 1,
    "national_admin": 3,
    "province_admin": 5,
    "municipality_admin": 10,
}
QUEUE_VIEWER = "queue_viewer"
QUEUE_OPERATOR = "queue_operator"
ALL_ROLES = [*ROLE_PRIORITY, QUEUE_VIEWER, QUEUE_OPERATOR]


def _groups(user: Any) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    cached = getattr(user, "_queue_roles", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._queue_roles = cached
    return cached


def priority_ceiling(user: Any) -> int:
    """The highest priority (lowest number) this user may ask for; also their default."""
    if getattr(user, "is_superuser", False):
        return 1
    levels = [level for role, level in ROLE_PRIORITY.items() if role in _groups(user)]
    if levels:
        return min(levels)
    return 5 if getattr(user, "is_staff", False) else 10


def can_see_all(user: Any) -> bool:
    return bool(getattr(user, "is_staff", False) or getattr(user, "is_superuser", False))


def can_see_job(user: Any, job: Any) -> bool:
    """Staff see every job; anyone else only the jobs they submitted."""
    owner = getattr(job, "created_by_id", None)
    return can_see_all(user) or (owner is not None and owner == getattr(user, "pk", None))


def can_operate(user: Any) -> bool:
    """Retry, cancel, pause and clean any job or queue."""
    return bool(getattr(user, "is_superuser", False) or QUEUE_OPERATOR in _groups(user))


def is_read_only(user: Any) -> bool:
    return QUEUE_VIEWER in _groups(user) and not can_operate(user)


def can_act_on_job(user: Any, job: Any) -> bool:
    """Operators act on every job; others on the jobs they submitted, unless read-only."""
    if can_operate(user):
        return True
    owner = getattr(job, "created_by_id", None)
    mine = owner is not None and owner == getattr(user, "pk", None)
    return mine and not is_read_only(user)


def can_submit(user: Any) -> bool:
    """Submit jobs and uploads from the dashboard: any signed-in user but a read-only viewer."""
    return bool(getattr(user, "is_authenticated", False)) and not is_read_only(user)
