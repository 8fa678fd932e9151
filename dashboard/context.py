"""Template context for every page: what the signed-in user may do (jobs/roles.py)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from dashboard.access import page_roles


def roles(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"may": page_roles(user)}
