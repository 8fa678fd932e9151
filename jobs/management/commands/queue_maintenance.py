"""`manage.py queue_maintenance [--once]`: the scheduler and maintenance loop (one per site is
enough; more are safe, a Redis lock lets one of them do each full pass)."""

from __future__ import annotations

import signal
import time
from typing import Any

import redis
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import connections

from jobs.maintenance import maintenance_run, maintenance_tick
from queueproject.redis_client import get_redis

TICK_SECONDS = 1.0
LOCK_KEY = "qp:maintenance:lock"


class Command(BaseCommand):
    help = "Dispatch due jobs every second; recover stalled and lost jobs, snapshot metrics and "
    help += "apply retention every MAINTENANCE_INTERVAL seconds."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="one full pass, then exit")

    def handle(self, *args: Any, once: bool, **options: Any) -> None:
        if once:
            self.stdout.write(f"maintenance: {maintenance_run().summary()}")
            return
        self.running = True
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        self.stdout.write(f"maintenance: every {settings.MAINTENANCE_INTERVAL} s (Ctrl-C stops)")
        next_full = 0.0
        while self.running:
            try:
                if time.monotonic() >= next_full and self._take_lock():
                    self.stdout.write(f"maintenance: {maintenance_run().summary()}")
                    next_full = time.monotonic() + settings.MAINTENANCE_INTERVAL
                else:
                    maintenance_tick()
            except Exception as exc:  # a database or Redis outage: say so, keep going
                self.stderr.write(f"maintenance: pass failed, will retry: {exc}")
                connections.close_all()
            time.sleep(TICK_SECONDS)

    def _take_lock(self) -> bool:
        try:
            lease = max(1, settings.MAINTENANCE_INTERVAL - 1)
            return bool(get_redis().set(LOCK_KEY, "1", nx=True, ex=lease))
        except redis.RedisError:
            return True  # without Redis there is nobody to coordinate with; run anyway

    def _stop(self, signum: int, frame: object) -> None:
        self.running = False
