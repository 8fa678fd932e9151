"""Reads of uploads."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet, Sum

from jobs import roles
from uploads.models import Upload


def _visible(visible_to: Any) -> QuerySet[Upload]:
    uploads = Upload.objects.all()
    if visible_to is not None and not roles.can_see_all(visible_to):
        uploads = uploads.filter(uploaded_by=visible_to)
    return uploads


def upload_list(*, visible_to: Any = None) -> QuerySet[Upload]:
    return _visible(visible_to).select_related("job", "uploaded_by").order_by("-created_at")


def upload_for_job(job_id: Any, *, visible_to: Any) -> Upload:
    return upload_list(visible_to=visible_to).get(job_id=job_id)


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
    rows = created = 0
    for validation, database in uploads.values_list("validation_stats", "database_stats"):
        rows += validation.get("total_rows", 0)
        created += database.get("created", 0)
    size = uploads.aggregate(total=Sum("size"))["total"] or 0
    return {
        "total_uploads": sum(by_type.values()),
        "by_status": by_status,
        "by_import_type": by_type,
        "rows_processed": rows,
        "rows_created": created,
        "bytes_uploaded": size,
    }
