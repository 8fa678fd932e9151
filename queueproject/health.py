"""GET /healthz: 200 when the database and Redis both answer, else 503 naming the failing part."""

from __future__ import annotations

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from queueproject.redis_client import redis_from_url


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return f"error: {exc.__class__.__name__}: {exc}".strip()
    return "ok"


def _check_redis() -> str:
    client = redis_from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except (redis.RedisError, OSError) as exc:
        return f"error: {exc.__class__.__name__}: {exc}".strip()
    finally:
        client.close()
    return "ok"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _check_database(), "redis": _check_redis()}
    healthy = all(value == "ok" for value in checks.values())
    failing = [name for name, value in checks.items() if value != "ok"]
    body: dict[str, object] = {"status": "ok" if healthy else "unavailable", "checks": checks}
    if failing:
        body["failing"] = failing
    return JsonResponse(body, status=200 if healthy else 503)
