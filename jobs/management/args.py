"""Argument parsing shared by the operator commands."""

from __future__ import annotations

import datetime as dt
import re

from django.core.management.base import CommandError

from jobs.models import JobStatus

_AGE = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_age(text: str) -> dt.timedelta:
    """`90s`, `30m`, `24h`, `7d`, `2w`."""
    match = _AGE.match(text.strip().lower())
    if not match:
        raise CommandError(f"--older-than {text!r}: use a number and a unit, e.g. 30m, 24h, 7d")
    return dt.timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})


def parse_statuses(text: str) -> list[str]:
    statuses = [s.strip().lower() for s in text.split(",") if s.strip()]
    unknown = sorted(set(statuses) - set(JobStatus.values))
    if unknown or not statuses:
        raise CommandError(
            f"--status {text!r}: unknown status {', '.join(unknown) or '(none)'}; "
            f"choose from {', '.join(JobStatus.values)}"
        )
    return statuses
