from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from jobs.models import QueueJob


class JobFilter(django_filters.FilterSet):
    status = django_filters.BaseInFilter(field_name="status", help_text="e.g. failed,cancelled")
    type = django_filters.CharFilter()
    queue = django_filters.CharFilter()
    priority = django_filters.NumberFilter()
    batch_id = django_filters.CharFilter()
    created_by = django_filters.CharFilter(field_name="created_by__username")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    search = django_filters.CharFilter(method="search_jobs")

    class Meta:
        model = QueueJob
        fields: list[str] = []

    def search_jobs(
        self, queryset: QuerySet[QueueJob], name: str, value: str
    ) -> QuerySet[QueueJob]:
        from jobs.selectors import job_search

        return job_search(queryset, value)
