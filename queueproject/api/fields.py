"""Serializer fields for times: written as the seeds write them, read only with a time zone."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rest_framework import serializers

from queueproject.times import iso_ms


class TimeField(serializers.DateTimeField):
    def to_representation(self, value: dt.datetime) -> Any:
        return iso_ms(value)


class AwareDateTimeField(serializers.DateTimeField):
    """A time that carries its time zone: a naive one is refused, not read as local time."""

    default_error_messages = {
        "naive": "give a time zone with the time (e.g. 2030-01-31T08:00:00Z or +02:00)",
    }

    def enforce_timezone(self, value: dt.datetime) -> dt.datetime:
        if value.tzinfo is None:
            self.fail("naive")
        return super().enforce_timezone(value)
