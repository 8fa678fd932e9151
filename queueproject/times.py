"""How times are written for clients: the API's answers and the live messages alike."""

from __future__ import annotations

import datetime as dt


def iso_ms(value: dt.datetime | None) -> str | None:
    """ISO 8601 in UTC with milliseconds, as the seeds show times."""
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
