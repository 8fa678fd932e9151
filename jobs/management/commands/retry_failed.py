"""`manage.py retry_failed [--type T] [--queue Q] [--batch-id B] [--include-cancelled]`"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jobs.models import JobStatus
from jobs.selectors import job_list
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
        jobs = job_list(
            status=statuses,
            type=options["type"],
            queue=options["queue"],
            batch_id=options["batch_id"],
        )
        if options["dry_run"]:
            self.stdout.write(f"would retry {jobs.count()} jobs")
            return
        self.stdout.write(f"retried {jobs_retry(jobs=jobs)} jobs")
