from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django_filters.fields import IsoDateTimeField

from jobs.models import QueueJob


def as_utc(moment: dt.datetime) -> dt.datetime:
    """The same instant in UTC. PostgreSQL refuses offsets past +-15:59 (ISO 8601 allows
    +19:44), and an instant that falls outside the years 1-9999 in UTC is no time at all."""
    try:
        return moment.astimezone(dt.UTC)
    except OverflowError:
        raise forms.ValidationError("this time is out of range", code="invalid") from None


class UtcDateTimeField(IsoDateTimeField):
    def to_python(self, value: Any) -> dt.datetime | None:
        moment = super().to_python(value)
        return None if moment is None else as_utc(moment)


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


class JobFilter(django_filters.FilterSet):
    status = django_filters.BaseInFilter(field_name="status", help_text="e.g. failed,cancelled")
    type = django_filters.CharFilter()
    queue = django_filters.CharFilter()
    priority = django_filters.NumberFilter()
    batch_id = django_filters.CharFilter()
    created_by = django_filters.CharFilter(field_name="created_by__username")
    created_after = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UtcDateTimeFilter(field_name="created_at", lookup_expr="lt")
    search = django_filters.CharFilter(method="search_jobs")

    class Meta:
        model = QueueJob
        fields: list[str] = []

    def search_jobs(
        self, queryset: QuerySet[QueueJob], name: str, value: str
    ) -> QuerySet[QueueJob]:
        from jobs.selectors import job_search

        return job_search(queryset, value)
