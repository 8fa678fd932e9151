"""Uploaded files and reports go when their job is purged by retention."""

from __future__ import annotations

from uuid import UUID

from uploads.models import Upload


def uploads_purge_files(job_ids: list[UUID]) -> None:
    uploads = Upload.objects.filter(job_id__in=job_ids)
    # A dry run and the import that confirmed it share one stored file: it stays while either
    # upload does.
    purged = uploads.values_list("file", flat=True)
    kept = set(
        Upload.objects.filter(file__in=purged)
        .exclude(job_id__in=job_ids)
        .values_list("file", flat=True)
    )
    for upload in uploads.only("file", "error_report"):
        for stored in (upload.file, upload.error_report):
            if stored and stored.name not in kept:
                stored.delete(save=False)
    uploads.delete()  # one statement per table, not a delete (and its cascade) per upload
