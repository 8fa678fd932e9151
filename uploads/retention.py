"""Uploaded files and reports go when their job is purged by retention."""

from __future__ import annotations

from uuid import UUID

from uploads.models import Upload


def uploads_purge_files(job_ids: list[UUID]) -> None:
    uploads = Upload.objects.filter(job_id__in=job_ids)
    for upload in uploads.only("file", "error_report"):
        for stored in (upload.file, upload.error_report):
            if stored:
                stored.delete(save=False)
    uploads.delete()  # one statement per table, not a delete (and its cascade) per upload
