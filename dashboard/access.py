"""Who may see and do what in the dashboard: the API's rules (jobs/roles.py), as page guards."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from jobs import roles, selectors
from jobs.models import QueueJob


def visible_jobs(user: Any) -> QuerySet[QueueJob]:
    """Every job for staff; a user's own jobs otherwise."""
    return selectors.job_visible_list(user)


def job_or_404(user: Any, job_id: UUID) -> QueueJob:
    """The job, if this user may see it; a job they may not see is not found, as in the API."""
    job = visible_jobs(user).select_related("worker").filter(pk=job_id).first()
    if job is None:
        raise Http404("no such job")
    return job


def require_operator(user: Any) -> None:
    if not roles.can_operate(user):
        raise PermissionDenied("only queue operators may do this")


def require_job_action(user: Any, job: QueueJob) -> None:
    if not roles.can_act_on_job(user, job):
        raise PermissionDenied("you may not change this job")


def require_submit(user: Any) -> None:
    if not roles.can_submit(user):
        raise PermissionDenied("your role may look but not submit")


def page_roles(user: Any) -> dict[str, bool]:
    """What a page's template may offer this user."""
    return {
        "can_operate": roles.can_operate(user),
        "can_submit": roles.can_submit(user),
        "sees_all": roles.can_see_all(user),
    }


def require_staff(user: Any) -> None:
    """Pages about the whole system (workers, queues) are for staff."""
    if not roles.can_see_all(user):
        raise PermissionDenied("this page is for staff")
