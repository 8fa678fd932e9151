"""`manage.py queue_stats [--json] [--watch [SECONDS]]`"""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jobs.selectors import STAT_KEYS, queue_stats, worker_list


class Command(BaseCommand):
    help = "Job counts per queue (waiting, active, completed, failed, delayed, paused, ...)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="machine-readable output")
        parser.add_argument(
            "--watch",
            nargs="?",
            type=float,
            const=2.0,
            metavar="SECONDS",
            help="refresh every SECONDS (default 2) until Ctrl-C",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            while True:
                self._print(as_json=options["json"], clear=options["watch"] is not None)
                if options["watch"] is None:
                    return
                time.sleep(max(0.2, options["watch"]))
        except KeyboardInterrupt:
            return

    def _print(self, *, as_json: bool, clear: bool) -> None:
        stats = queue_stats()
        if as_json:
            self.stdout.write(json.dumps(stats))
            return
        if clear:
            self.stdout.write("\x1b[2J\x1b[H", ending="")
        header = f"{'queue':<12}" + "".join(f"{key:>10}" for key in STAT_KEYS)
        lines = [header, "-" * len(header)]
        for name, row in stats["queues"].items():
            label = f"{name}{' (paused)' if row['is_paused'] else ''}"
            lines.append(f"{label:<12}" + "".join(f"{row[key]:>10}" for key in STAT_KEYS))
        lines.append(f"{'all':<12}" + "".join(f"{stats[key]:>10}" for key in STAT_KEYS))
        lines.append(f"workers: {worker_list().count()} running")
        self.stdout.write("\n".join(lines))
