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
        rows = [
            (f"{name}{' (paused)' if row['is_paused'] else ''}", row)
            for name, row in stats["queues"].items()
        ]
        lines = _table([*rows, ("all", stats)])
        lines.append(f"workers: {worker_list().count()} running")
        self.stdout.write("\n".join(lines))


def _table(rows: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """The header, a rule and a line per row, each column as wide as its widest cell."""
    label = max(len("queue"), *(len(name) for name, _ in rows))
    widths = {key: max(len(key), *(len(str(row[key])) for _, row in rows)) for key in STAT_KEYS}
    header = f"{'queue':<{label}}" + "".join(f"  {key:>{widths[key]}}" for key in STAT_KEYS)
    lines = [header, "-" * len(header)]
    for name, row in rows:
        lines.append(f"{name:<{label}}" + "".join(f"  {row[k]:>{widths[k]}}" for k in STAT_KEYS))
    return lines
