"""Bulk uploads: store a file safely, record the Upload and its job in one transaction.

A file is refused before anything is stored when it is empty, too large, of an unsupported type,
a zip bomb or a workbook that does not open (xlsx, ods, xls); everything else is decided row by
row by the import job.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tempfile
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files import File
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from jobs.errors import InvalidTransition
from jobs.lifecycle import Actor
from jobs.models import JobSource, JobStatus
from jobs.services import JobSpec, job_cancel, job_priority_allowed, job_submit
from jobs.text import text_problem
from queueproject.errors import ServiceError
from uploads.importers import UnknownImportType, get_import_type
from uploads.importing import IMPORT_JOB_TYPE
from uploads.models import ErrorPolicy, ImportMode, Upload
from uploads.readers import FileRefused, check_file, sniff_type

CHUNK = 1 << 20


class InvalidUpload(ServiceError, ValueError):
    """An option of the upload is wrong (HTTP 400)."""


def upload_create(
    *,
    stream: IO[bytes],
    original_name: str,
    import_type: str,
    mode: str = ImportMode.UPSERT,
    policy: str = ErrorPolicy.SKIP_INVALID,
    dry_run: bool = False,
    uploaded_by: Actor = None,
    priority: int | None = None,
    scheduled_at: dt.datetime | None = None,
    source: str = JobSource.UPLOAD,
) -> Upload:
    """Check and store the file, then queue its import. Raises PriorityNotAllowed (a priority
    above what the uploader's role allows; none asked for is the role's default), FileRefused
    or InvalidUpload."""
    priority = job_priority_allowed(actor=uploaded_by, requested=priority)
    _check_options(import_type, mode, policy)
    with tempfile.NamedTemporaryFile(prefix="qp-upload-") as spool:
        size, digest = _spool(stream, spool)
        spool.flush()
        path = Path(spool.name)
        file_type = _check_file(path, size)
        user = uploaded_by if isinstance(uploaded_by, User) else None
        with transaction.atomic():
            upload = Upload(
                original_name=_display_name(original_name),
                size=size,
                sha256=digest,
                file_type=file_type,
                import_type=import_type,
                mode=mode,
                policy=policy,
                dry_run=dry_run,
                uploaded_by=user,
            )
            spool.seek(0)
            upload.file.save(f"{upload.pk}.{file_type}", File(spool), save=False)
            upload.save()
            _queue(upload, priority=priority, scheduled_at=scheduled_at, source=source)
    return upload


def upload_create_from_records(
    *,
    records: Any,
    import_type: str,
    uploaded_by: Actor = None,
    priority: int | None = None,
    **options: Any,
) -> Upload:
    """The JSON variant: a list of records becomes a stored JSON file, imported the same way."""
    priority = job_priority_allowed(actor=uploaded_by, requested=priority)
    if not isinstance(records, list) or not records:
        raise InvalidUpload("records must be a non-empty list of objects")
    problem = text_problem(records, "records")
    if problem:
        raise InvalidUpload(problem)
    payload = json.dumps(records, cls=DjangoJSONEncoder).encode()
    with tempfile.TemporaryFile() as stream:
        stream.write(payload)
        stream.seek(0)
        return upload_create(
            stream=stream,
            original_name="records.json",
            import_type=import_type,
            uploaded_by=uploaded_by,
            priority=priority,
            source=JobSource.API,
            **options,
        )


class AlreadyConfirmed(InvalidTransition):
    """A dry run is imported once: a second confirm names the import it already has (HTTP 409)."""

    def __init__(self, *, dry_run: Upload, confirmed: Upload) -> None:
        self.action, self.status, self.allowed = "confirm", "confirmed", ["completed dry run"]
        Exception.__init__(
            self,
            f"this dry run was already confirmed: job {confirmed.job_id} imports it",
        )


def upload_confirm(*, upload: Upload, actor: Actor = None, priority: int | None = None) -> Upload:
    """Import, for real, a dry run that has completed: a new Upload of the same stored file, with
    its own job, linked to the dry run (new.dry_run_of is the dry run; the dry run's
    `confirmed_by` is the new upload). The dry run keeps its job, stats and error report. The
    new job has the dry run's priority unless `priority` is given; one above what the actor's
    role allows raises PriorityNotAllowed. A dry run is confirmed once: again raises
    AlreadyConfirmed."""
    if priority is not None:
        priority = job_priority_allowed(actor=actor, requested=priority)
    with transaction.atomic():
        locked = Upload.objects.select_for_update(of=("self",))  # a second confirm waits here
        dry_run = locked.select_related("job").get(pk=upload.pk)
        _check_confirmable(dry_run)
        confirmed = Upload.objects.create(
            file=dry_run.file.name,
            original_name=dry_run.original_name,
            size=dry_run.size,
            sha256=dry_run.sha256,
            file_type=dry_run.file_type,
            import_type=dry_run.import_type,
            mode=dry_run.mode,
            policy=dry_run.policy,
            uploaded_by=dry_run.uploaded_by,
            dry_run_of=dry_run,
        )
        assert dry_run.job is not None  # _check_confirmable
        chosen = dry_run.job.priority if priority is None else priority
        _queue(confirmed, priority=chosen, scheduled_at=None, source=JobSource.UPLOAD, actor=actor)
    return confirmed


def _check_confirmable(upload: Upload) -> None:
    confirmed = Upload.objects.filter(dry_run_of=upload).only("job_id").first()
    if confirmed is not None:
        raise AlreadyConfirmed(dry_run=upload, confirmed=confirmed)
    status = upload.job.status if upload.job else "missing"
    if not upload.dry_run or status != JobStatus.COMPLETED:
        what = "an import that was not a dry run" if not upload.dry_run else f"a {status} dry run"
        raise InvalidTransition(action="confirm", status=what, allowed=["completed dry run"])


def upload_cancel(*, upload: Upload, actor: Actor = None) -> Upload:
    if upload.job is None:
        raise InvalidTransition(action="cancel", status="without a job", allowed=["queued"])
    job_cancel(job=upload.job, actor=actor)
    return upload


def _queue(
    upload: Upload,
    *,
    priority: int | None,
    scheduled_at: dt.datetime | None,
    source: str,
    actor: Actor = None,
) -> None:
    spec = JobSpec(
        type=IMPORT_JOB_TYPE,
        data={"upload_id": str(upload.pk)},
        priority=priority,
        scheduled_at=scheduled_at,
    )
    upload.job = job_submit(
        spec=spec, created_by=actor or upload.uploaded_by, source=source, internal=True
    )
    upload.save(update_fields=["job"])


def _check_options(import_type: str, mode: str, policy: str) -> None:
    try:
        get_import_type(import_type)
    except UnknownImportType as exc:
        raise InvalidUpload(str(exc)) from None
    if mode not in ImportMode.values:
        raise InvalidUpload(f"mode {mode!r} must be one of {', '.join(ImportMode.values)}")
    if policy not in ErrorPolicy.values:
        raise InvalidUpload(f"policy {policy!r} must be one of {', '.join(ErrorPolicy.values)}")


def _spool(stream: IO[bytes], spool: IO[bytes]) -> tuple[int, str]:
    """Copy to a local file, hashing, and stop as soon as the size limit is passed."""
    digest, size, limit = hashlib.sha256(), 0, settings.UPLOAD_MAX_BYTES
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        if size > limit:
            raise FileRefused(
                "too_large", f"the file is larger than {_mib(limit)} (UPLOAD_MAX_BYTES)"
            )
        digest.update(chunk)
        spool.write(chunk)
    return size, digest.hexdigest()


def _check_file(path: Path, size: int) -> str:
    if size == 0:
        raise FileRefused("empty", "the file is empty (0 bytes)")
    with path.open("rb") as head:
        file_type = sniff_type(head.read(8192))
    check_file(path, file_type, max_uncompressed=settings.UPLOAD_MAX_UNCOMPRESSED_BYTES)
    return file_type


def _display_name(name: str) -> str:
    """The client's file name, for display only: no path, no control characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    clean = "".join(ch for ch in base if ch.isprintable()).strip()
    return (clean or "upload")[:255]


def _mib(size: int) -> str:
    return f"{size / (1 << 20):.0f} MB"
