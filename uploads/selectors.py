"""Reads of uploads."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import BigIntegerField, Count, Q, QuerySet, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce

from jobs import roles
from uploads.models import Upload


def _visible(visible_to: Any) -> QuerySet[Upload]:
    uploads = Upload.objects.all()
    if visible_to is not None and not roles.can_see_all(visible_to):
        uploads = uploads.filter(uploaded_by=visible_to)
    return uploads


def upload_list(*, visible_to: Any = None) -> QuerySet[Upload]:
    related = ("job", "uploaded_by", "dry_run_of", "confirmed_by")
    return _visible(visible_to).select_related(*related).order_by("-created_at")


def upload_history(
    *,
    visible_to: Any,
    import_type: str = "",
    status: str = "",
    uploader: str = "",
    since: dt.date | None = None,
) -> QuerySet[Upload]:
    """Uploads that were queued as jobs, newest first (a refused file never had one), optionally
    of one import type, job status, uploader (user name, any case) and from a day on."""
    uploads = upload_list(visible_to=visible_to).filter(job__isnull=False)
    chosen = {
        "import_type": import_type,
        "job__status": status,
        "uploaded_by__username__iexact": uploader,
        "created_at__date__gte": since,
    }
    return uploads.filter(**{key: value for key, value in chosen.items() if value})


def upload_for_job(job_id: Any, *, visible_to: Any) -> Upload:
    return upload_list(visible_to=visible_to).get(job_id=job_id)


def upload_job_search_q(text: str) -> Q:
    """Jobs of uploads whose file name contains `text` (a search hook of jobs.filters)."""
    named = Upload.objects.filter(original_name__icontains=text, job__isnull=False)
    return Q(pk__in=named.values("job_id"))


TOP_UPLOADERS = 10


def upload_statistics(*, visible_to: Any) -> dict[str, Any]:
    """Totals over the uploads the user may see: how many, by status and type, rows imported."""
    uploads = _visible(visible_to)
    by_status = dict(
        uploads.order_by()
        .values_list("job__status")
        .annotate(n=Count("pk"))
        .values_list("job__status", "n")
    )
    by_type = dict(
        uploads.order_by()
        .values_list("import_type")
        .annotate(n=Count("pk"))
        .values_list("import_type", "n")
    )
    totals = uploads.aggregate(
        total_uploads=Count("pk"),
        rows_processed=_json_sum("validation_stats__total_rows"),
        rows_created=_json_sum("database_stats__created", real=True),
        bytes_uploaded=Coalesce(Sum("size"), 0),
    )
    by_uploader = dict(
        uploads.order_by()
        .values_list("uploaded_by__username")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("uploaded_by__username", "n")[:TOP_UPLOADERS]
    )
    return {
        "total_uploads": totals["total_uploads"],
        "by_status": by_status,
        "by_import_type": by_type,
        "by_uploader": by_uploader,
        "rows_processed": totals["rows_processed"],
        "rows_created": totals["rows_created"],
        "bytes_uploaded": totals["bytes_uploaded"],
    }


def _json_sum(path: str, *, real: bool = False) -> Coalesce:
    """The sum of a number kept in a JSON field, added up by the database (0 when absent);
    `real`: over imports only (a dry run's figures say what an import would do)."""
    only = Q(dry_run=False) if real else None
    return Coalesce(Sum(Cast(KT(path), BigIntegerField()), filter=only), 0)
