from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, IsAuthenticated
from rest_framework.request import Request

from jobs import roles
from jobs.models import QueueJob

# Both extend IsAuthenticated: a view's own permission_classes replace the default, and an
# anonymous request must be a 401 there too, never reach a query with AnonymousUser.


class QueueOperator(IsAuthenticated):
    """Queue-wide actions (pause, resume, bulk retry/cancel, clean): operators only."""

    message = "only queue operators may do this (group queue_operator)"

    def has_permission(self, request: Request, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        return request.method in SAFE_METHODS or roles.can_operate(request.user)


class JobAccess(IsAuthenticated):
    """Staff read every job; operators act on every job; others act on their own jobs only
    (jobs they cannot see are 404, see the views), and viewers never act."""

    message = "you may not change this job"

    def has_object_permission(self, request: Request, view: Any, job: QueueJob) -> bool:
        return request.method in SAFE_METHODS or roles.can_act_on_job(request.user, job)
