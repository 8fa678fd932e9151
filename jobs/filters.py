"""The one filter over the job ledger. The API's list and bulk actions, the admin's search, the
commands and the dashboard all read jobs through `job_filter`, so a query string means the same
thing everywhere:

    f = job_filter(request.GET, user=request.user)
    if f.is_valid():
        jobs = f.qs

Every field is text, as in a query string: `status` (comma-separated), `queue`, `type`, `source`,
`priority`, `batch_id`, `created_by` (a username), `created_after`, `created_before`, `search`.
An unknown status, queue, type or source is an error naming the field and the allowed values.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import django_filters
from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django_filters.fields import IsoDateTimeField

from jobs import registry, selectors
from jobs.models import JobSource, JobStatus, QueueJob

# Other apps add what else a search may match: `hook(text)` returns a Q over QueueJob (uploads
# adds its file names), so that jobs need not import them.
search_hooks: list[Callable[[str], Q]] = []

MIN_ID_PREFIX = 8
_HEX = re.compile(r"^[0-9a-f]+$")


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


# -- the vocabularies: which values of a field name something -----------------------------------


def _configured_queues() -> list[str]:
    return list(settings.JOB_QUEUES)


def _registered_types() -> list[str]:
    return [entry.key for entry in registry.job_types()]


class KnownValuesField(forms.CharField):
    """Text naming known values: one, or several separated by commas when `many`. Known are
    `allowed()`, and with `ledger_field` also the values jobs hold in that field (a queue or job
    type no longer configured still filters its jobs). An error names the known values."""

    def __init__(
        self,
        *,
        allowed: Callable[[], Iterable[str]],
        ledger_field: str = "",
        many: bool = False,
        lower: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.allowed, self.ledger_field, self.many, self.lower = allowed, ledger_field, many, lower

    def clean(self, value: Any) -> list[str] | str | None:
        text = super().clean(value)
        if self.lower:
            text = text.lower()
        values = [part.strip() for part in text.split(",")] if self.many else [text.strip()]
        values = [part for part in values if part]
        if not values:
            return None
        self._check(values)
        return values if self.many else values[0]

    def _check(self, values: list[str]) -> None:
        allowed = list(self.allowed())
        unknown = set(values) - set(allowed)
        if unknown and self.ledger_field:
            unknown -= self._in_ledger(unknown)  # an index lookup
        if unknown:
            known = [*allowed, *sorted(self._in_ledger(None) - set(allowed))]
            raise forms.ValidationError(
                f"unknown value {', '.join(map(repr, sorted(unknown)))}; "
                f"allowed: {', '.join(known)}",
                code="invalid_choice",
            )

    def _in_ledger(self, values: set[str] | None) -> set[str]:
        """Of `values` (None: of all), those jobs hold in the ledger field."""
        if not self.ledger_field:
            return set()
        rows = QueueJob.objects.order_by()
        if values is not None:
            rows = rows.filter(**{f"{self.ledger_field}__in": values})
        return set(rows.values_list(self.ledger_field, flat=True).distinct())


class KnownValuesFilter(django_filters.Filter):
    field_class = KnownValuesField

    def filter(self, qs: QuerySet[QueueJob], value: Any) -> QuerySet[QueueJob]:
        if value in (None, "", []):
            return qs
        if isinstance(value, list):
            return qs.filter(**{f"{self.field_name}__in": value})
        return qs.filter(**{self.field_name: value})


class PriorityFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class JobFilter(django_filters.FilterSet):
    status = KnownValuesFilter(
        allowed=lambda: JobStatus.values,
        many=True,
        lower=True,
        help_text="comma-separated statuses, e.g. failed,cancelled",
    )
    queue = KnownValuesFilter(allowed=_configured_queues, ledger_field="queue")
    type = KnownValuesFilter(allowed=_registered_types, ledger_field="type")
    source = KnownValuesFilter(allowed=lambda: JobSource.values, lower=True)
    priority = PriorityFilter(min_value=1, max_value=10)
    batch_id = django_filters.CharFilter()
    created_by = django_filters.CharFilter(field_name="created_by__username")
    created_after = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UtcDateTimeFilter(field_name="created_at", lookup_expr="lt")
    search = django_filters.CharFilter(method="search_jobs")

    class Meta:
        model = QueueJob
        fields: list[str] = []

    def filter_queryset(self, queryset: QuerySet[QueueJob]) -> QuerySet[QueueJob]:
        # Never the unfiltered jobs for a filter that was refused: a bulk action would take all.
        if not self.is_valid():
            return queryset.none()
        return super().filter_queryset(queryset)

    def search_jobs(
        self, queryset: QuerySet[QueueJob], name: str, value: str
    ) -> QuerySet[QueueJob]:
        return job_search(queryset, value)


FILTER_FIELDS = list(JobFilter.base_filters)


def job_filter(params: QueryDict | Mapping[str, Any], *, user: Any) -> JobFilter:
    """JobFilter bound to `params` (a query string, or a dict of text, numbers or lists), over
    the jobs `user` may see: staff every job, anyone else their own (None: every job, for the
    commands). Check `is_valid()` (its `errors` name each field) before reading `qs`."""
    return JobFilter(_as_text(params), queryset=selectors.job_visible_list(user))


def _as_text(params: QueryDict | Mapping[str, Any]) -> dict[str, str]:
    """Every filter as query-string text: a repeated parameter or a JSON list joins with commas."""
    if isinstance(params, QueryDict):
        return {key: ",".join(params.getlist(key)) for key in params if key in FILTER_FIELDS}
    return {key: _text(value) for key, value in params.items() if value is not None}


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ",".join(str(item) for item in value)
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


# -- search -------------------------------------------------------------------------------------


def job_search(jobs: QuerySet[QueueJob], text: str) -> QuerySet[QueueJob]:
    """Jobs that `text` finds. A full job id or its first 8+ hex digits (dashes optional) finds
    that job; a batch id or an uploader's username (exact, any case) finds their jobs; other text
    finds jobs whose type or error message contains it, or anything a search hook adds, such as
    an upload's file name (contains, any case)."""
    text = text.strip()
    return jobs.filter(job_search_q(text)) if text else jobs


def job_search_q(text: str) -> Q:
    exact = _exact_q(text)
    ids = id_range(text)
    if ids is not None:
        return exact | (Q(pk=ids[0]) if ids[0] == ids[1] else Q(pk__range=ids))
    if exact:
        # A batch id or a username names its jobs; reading every error message for it as well
        # would cost a full scan of the ledger.
        return exact
    found = Q(type__icontains=text) | Q(error_message__icontains=text)
    for hook in search_hooks:
        found |= hook(text)
    return found


def _exact_q(text: str) -> Q:
    """The batch id and the uploader, each only if some job or user bears it (else an empty Q).
    PostgreSQL estimates an unknown batch id as a common one, and would then read the jobs newest
    first to find it."""
    found = Q()
    if QueueJob.objects.filter(batch_id=text).exists():
        found |= Q(batch_id=text)
    users = get_user_model().objects.filter(username__iexact=text).values_list("pk", flat=True)
    if user_ids := list(users):
        found |= Q(created_by_id__in=user_ids)
    return found


def id_range(text: str) -> tuple[uuid.UUID, uuid.UUID] | None:
    """The ids that start with `text`, as the lowest and highest UUID, if it reads as a job id or
    the start of one (at least 8 hex digits). A range of the primary key uses its index, where a
    LIKE on the id cast to text reads every row."""
    digits = text.lower().replace("-", "")
    if not MIN_ID_PREFIX <= len(digits) <= 32 or not _HEX.match(digits):
        return None
    return uuid.UUID(digits.ljust(32, "0")), uuid.UUID(digits.ljust(32, "f"))
