"""Typed readers for settings that come from the environment.

Each reader refuses a malformed value with a message that names the variable, so a typo in a
deployment fails at start-up instead of running with a silent default.
"""

from __future__ import annotations

import os
import re

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_SIZE = re.compile(r"^\s*(\d+)\s*([kmg]i?b?|b)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no)")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={value} is below the minimum of {minimum}")
    return value


def env_bytes(name: str, default: int) -> int:
    """A size such as `104857600`, `100M`, `100MB` or `1GiB` (binary units)."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    match = _SIZE.match(raw)
    if not match:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a size (examples: 1048576, 100M, 2GB)")
    unit = (match.group(2) or "").lower()[:1]
    return int(match.group(1)) * _UNITS[unit]


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_limits(name: str, default: dict[str, int]) -> dict[str, int]:
    """Per-queue limits: `5000` (every queue) or `uploads=500,default=10000` (0 = unlimited)."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return dict(default)
    limits: dict[str, int] = {}
    for item in raw.split(","):
        key, _, value = item.strip().rpartition("=")
        try:
            limits[key.strip() or "*"] = int(value)
        except ValueError:
            raise ImproperlyConfigured(
                f"{name}={raw!r} is not a limit list (examples: 5000, uploads=500,default=10000)"
            ) from None
    return limits
