"""Formatting for the dashboard's templates: times, ages, durations, numbers, JSON, links."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django import template
from django.http import QueryDict
from django.utils import timezone

register = template.Library()
NONE = "\u2013"  # an en dash: no value


@register.filter
def when(moment: dt.datetime | None) -> str:
    """A time in the display time zone, with seconds: 2026-12-01 14:03:05."""
    if moment is None:
        return NONE
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")


@register.filter
def seconds(value: float | None) -> str:
    """An age or duration in seconds, for reading: 850 ms, 12.5 s, 4 min 10 s, 3 h 5 min."""
    if value is None:
        return NONE
    if value < 1:
        return f"{value * 1000:.0f} ms"
    if value < 60:
        return f"{value:.1f} s"
    minutes, secs = divmod(int(value), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min"
    return f"{hours // 24} d {hours % 24} h"


@register.filter
def duration(value: dt.timedelta | None) -> str:
    return NONE if value is None else seconds(value.total_seconds())


@register.filter
def age(moment: dt.datetime | None) -> str:
    """How long ago: 4 min 10 s."""
    return NONE if moment is None else seconds(max(0.0, (timezone.now() - moment).total_seconds()))


@register.filter
def num(value: int | float | str | None) -> str:
    """A count with thousands separators: 19,600 (a missing figure is a dash)."""
    if value is None or value == "":
        return NONE
    number = float(value)
    return f"{number:,.0f}" if number.is_integer() else f"{number:,.1f}"


@register.filter
def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


@register.filter
def share(part: float | None, whole: float | None) -> str:
    """part of whole as a percentage: 37%."""
    if not part or not whole:
        return "0%"
    return f"{min(100.0, part / whole * 100):.0f}%"


@register.simple_tag
def query_with(query: QueryDict, **changes: Any) -> str:
    """The query string with some parameters replaced (None or "" removes one)."""
    params = query.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    return params.urlencode()


STAT_STATUSES = {
    "waiting": "pending,waiting",
    "paused": "pending,waiting",
    "delayed": "scheduled",
    "total": "",
}


@register.filter
def stat_statuses(key: str) -> str:
    """The job statuses an overview count stands for, as the list's status filter."""
    return STAT_STATUSES.get(key, key)


@register.filter
def words(text: str) -> list[str]:
    return text.split()


@register.filter
def get(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key)


@register.filter
def ms(value: float | None) -> str:
    """A duration in milliseconds, for reading."""
    return NONE if value is None else seconds(value / 1000)
