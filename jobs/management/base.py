"""Shared shape of the per-queue switch commands (queue_pause, queue_resume)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jobs.errors import InvalidJob


class QueueSwitchCommand(BaseCommand):
    action: Callable[..., Any]
    done: str

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("queue")

    def handle(self, *args: Any, queue: str, **options: Any) -> None:
        try:
            type(self).action(queue=queue)
        except InvalidJob as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"queue {queue} {self.done}")
