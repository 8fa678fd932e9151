"""Throttles of the API, per user and scope; their rates come from settings (THROTTLE_*)."""

from __future__ import annotations

import logging
from typing import Any

import redis
from django.core.cache.backends.locmem import LocMemCache
from django.core.exceptions import ImproperlyConfigured
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

logger = logging.getLogger("queueproject.api")

# While Redis (the shared cache) is down, each web process counts on its own: the rate still
# holds per process, and a submission is recorded as pending rather than refused with a 500.
_LOCAL = LocMemCache("throttle-fallback", {"MAX_ENTRIES": 10_000})


class ScopedThrottle(ScopedRateThrottle):
    """DRF's scoped throttle, reading its rate from the settings when asked rather than once at
    import (DRF's own caches them in a class attribute), so a changed rate takes effect; it
    falls back to a per-process count when the shared cache cannot be reached."""

    def get_rate(self) -> str | None:
        rates = api_settings.DEFAULT_THROTTLE_RATES
        if self.scope not in rates:
            raise ImproperlyConfigured(f"no throttle rate set for the scope {self.scope!r}")
        rate = rates[self.scope]
        return None if rate is None else str(rate)

    def allow_request(self, request: Any, view: Any) -> bool:
        try:
            return super().allow_request(request, view)
        except (redis.RedisError, OSError) as exc:
            logger.warning("throttle: the cache is unreachable, counting locally: %s", exc)
            self.cache = _LOCAL
            return super().allow_request(request, view)
