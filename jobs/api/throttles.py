"""Throttles of the API, per user and scope; their rates come from settings (THROTTLE_*)."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle


class ScopedThrottle(ScopedRateThrottle):
    """DRF's scoped throttle, reading its rate from the settings when asked rather than once at
    import (DRF's own caches them in a class attribute), so a changed rate takes effect."""

    def get_rate(self) -> str | None:
        rates = api_settings.DEFAULT_THROTTLE_RATES
        if self.scope not in rates:
            raise ImproperlyConfigured(f"no throttle rate set for the scope {self.scope!r}")
        rate = rates[self.scope]
        return None if rate is None else str(rate)
