"""`manage.py import_file PATH --type members [--mode M] [--policy P] [--dry-run] [--priority N]
[--user NAME] [--wait]`

Run at the shell, the import is an operator's act: any priority. With --user it is recorded as
that user's upload and held to what their role allows, as the API and the dashboard hold them."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from jobs.errors import JobError
from jobs.lifecycle import FINISHED
from jobs.models import JobSource, JobStatus, QueueJob
from uploads.importers import IMPORT_TYPES
from uploads.models import ErrorPolicy, ImportMode, Upload
from uploads.readers import FileRefused
from uploads.services import InvalidUpload, upload_create

PLAIN_PROGRESS_EVERY = 5.0  # seconds between progress lines when stdout is not a terminal


class Command(BaseCommand):
    help = "Queue the import of a file (xlsx, xls, ods, csv or JSON); --wait follows it to the end."
    _last_line = float("-inf")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--type", required=True, choices=sorted(IMPORT_TYPES), dest="import_type"
        )
        parser.add_argument("--mode", default=ImportMode.UPSERT, choices=ImportMode.values)
        parser.add_argument(
            "--policy", default=ErrorPolicy.SKIP_INVALID, choices=ErrorPolicy.values
        )
        parser.add_argument("--dry-run", action="store_true", help="validate and report only")
        parser.add_argument("--priority", type=int)
        parser.add_argument(
            "--user",
            help="the username the upload is recorded for; its role limits the priority",
        )
        parser.add_argument("--wait", action="store_true", help="show progress until it ends")

    def handle(self, *args: Any, path: Path, **options: Any) -> None:
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        uploader = _user(options["user"])
        try:
            with path.open("rb") as stream:
                upload = upload_create(
                    stream=stream,
                    original_name=path.name,
                    import_type=options["import_type"],
                    mode=options["mode"],
                    policy=options["policy"],
                    dry_run=options["dry_run"],
                    priority=options["priority"],
                    uploaded_by=uploader,
                    source=JobSource.CLI,
                )
        except (FileRefused, InvalidUpload, JobError) as exc:
            raise CommandError(f"{path.name}: {exc}") from None
        assert upload.job is not None
        self.stdout.write(f"queued {path.name} as job {upload.job.pk}")
        if options["wait"]:
            self._follow(upload, upload.job)

    def _follow(self, upload: Upload, job: QueueJob) -> None:
        progress = self._bar if self.stdout.isatty() else self._line
        while job.status not in FINISHED:
            time.sleep(0.5)
            job.refresh_from_db()
            progress(job)
        if self.stdout.isatty():
            self.stdout.write("")  # ends the bar's line
        upload.refresh_from_db()
        stats, db = upload.validation_stats, upload.database_stats
        self.stdout.write(
            f"{job.status}: {stats.get('total_rows', 0)} rows, {stats.get('valid_rows', 0)} "
            f"valid, {stats.get('invalid_rows', 0)} invalid, {stats.get('duplicate_rows', 0)} "
            f"duplicate; created {db.get('created', 0)}, updated {db.get('updated', 0)}, "
            f"unchanged {db.get('unchanged', 0)}"
        )
        if upload.error_report:
            self.stdout.write(f"error report: {upload.error_report.path}")
        if job.status != JobStatus.COMPLETED:
            raise CommandError(job.error_message or f"the import was {job.status}")

    def _line(self, job: QueueJob) -> None:
        """Progress as plain lines for a log file or a pipe: at most one every few seconds,
        and the last state."""
        now = time.monotonic()
        if job.status not in FINISHED and now - self._last_line < PLAIN_PROGRESS_EVERY:
            return
        self._last_line = now
        self.stdout.write(f"{job.progress_percent:5.1f}% {job.status} {job.progress_message}")

    def _bar(self, job: QueueJob) -> None:
        width = 30
        filled = int(width * job.progress_percent / 100)
        line = (
            f"\r[{'#' * filled}{'.' * (width - filled)}] {job.progress_percent:5.1f}% "
            f"{job.status} {job.progress_message}"
        )
        self.stdout.write(line[:100].ljust(100), ending="")
        sys.stdout.flush()


def _user(username: str | None) -> Any:
    if username is None:
        return None
    try:
        return get_user_model().objects.get(username=username)
    except get_user_model().DoesNotExist:
        raise CommandError(f"no user {username!r}") from None
