"""`manage.py cleanup_jobs --older-than 24h --status completed,failed [--queue Q] [--dry-run]`"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jobs.errors import InvalidJob
from jobs.management.args import parse_age, parse_statuses
from jobs.services import jobs_clean


class Command(BaseCommand):
    help = "Delete finished jobs (and their events and files) older than a given age."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--older-than", default="24h", help="age such as 30m, 24h, 7d")
        parser.add_argument("--status", default="completed", help="e.g. completed,failed")
        parser.add_argument("--queue", help="only this queue")
        parser.add_argument("--dry-run", action="store_true", help="count, delete nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        age = parse_age(options["older_than"])
        statuses = parse_statuses(options["status"])
        try:
            n = jobs_clean(
                older_than=age,
                statuses=statuses,
                queue=options["queue"],
                dry_run=options["dry_run"],
            )
        except InvalidJob as exc:
            raise CommandError(str(exc)) from None
        verb = "would delete" if options["dry_run"] else "deleted"
        self.stdout.write(
            f"{verb} {n} {'/'.join(statuses)} jobs older than {options['older_than']}"
        )
