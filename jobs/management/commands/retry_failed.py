"""`manage.py retry_failed [--type T] [--queue Q] [--batch-id B] [--include-cancelled]`"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jobs.filters import job_filter
from jobs.models import JobStatus
from jobs.services import jobs_retry


class Command(BaseCommand):
    help = "Retry failed jobs (optionally cancelled ones too) that match the filters."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--type", help="job type, e.g. uploads.import")
        parser.add_argument("--queue")
        parser.add_argument("--batch-id")
        parser.add_argument("--include-cancelled", action="store_true")
        parser.add_argument("--dry-run", action="store_true", help="count, retry nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        statuses = [JobStatus.FAILED] + (
            [JobStatus.CANCELLED] if options["include_cancelled"] else []
        )
        wanted = {key: options[key] for key in ("type", "queue", "batch_id")}
        jobs = job_filter({"status": statuses, **wanted}, user=None)
        if not jobs.is_valid():
            field, errors = next(iter(jobs.errors.items()))
            raise CommandError(f"--{field.replace('_', '-')}: {errors[0]}")
        if options["dry_run"]:
            self.stdout.write(f"would retry {_jobs(jobs.qs.count())}")
            return
        self.stdout.write(f"retried {_jobs(jobs_retry(jobs=jobs.qs))}")


def _jobs(count: int) -> str:
    return f"{count} job" if count == 1 else f"{count} jobs"
