"""`manage.py rqworker`: django-rq's command, with this engine's queues when none are named.

The worker class comes from settings.RQ["WORKER_CLASS"] (jobs.worker.LedgerWorker).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django_rq.management.commands.rqworker import Command as RQWorkerCommand

from queueproject.redis_settings import worker_queue_names


class Command(RQWorkerCommand):
    help = "Run a worker on every queue's priority levels, highest first (or on the named ones)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not args:
            args = tuple(worker_queue_names(settings.JOB_QUEUES))
        super().handle(*args, **options)
