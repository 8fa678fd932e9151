"""The RQ worker class: plain `manage.py rqworker` runs it (settings.RQ["WORKER_CLASS"]).

On top of RQ's forking worker it keeps the ledger informed: a queue_workers row with heartbeats,
the death of a work horse recorded as a failed attempt, and a warm shutdown that hands the current
job back when it cannot finish within WORKER_SHUTDOWN_GRACE seconds.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import Any

from django.conf import settings
from django.db import connections
from django.utils import timezone
from rq import Worker
from rq.job import Job
from rq.queue import Queue

from jobs.models import JobStatus, QueueJob, QueueWorker, WorkerStatus
from jobs.runner import WORKER_PK_ENV, hand_back, record_attempt_failure

logger = logging.getLogger("jobs.worker")


class LedgerWorker(Worker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        interval = settings.WORKER_HEARTBEAT_INTERVAL
        kwargs["worker_ttl"] = interval + 15  # RQ waits worker_ttl - 15 s between idle heartbeats
        kwargs["job_monitoring_interval"] = interval
        super().__init__(*args, **kwargs)
        self.ledger_pk: int | None = None
        self._beat_at = 0.0
        self._shutdown_timer: threading.Timer | None = None
        self._handing_back = False

    # -- lifecycle -------------------------------------------------------------------------
    def register_birth(self) -> None:
        super().register_birth()
        now = timezone.now()
        row, _ = QueueWorker.objects.update_or_create(
            name=self.name,
            defaults={
                "hostname": socket.gethostname(),
                "pid": os.getpid(),
                "queues": self.queue_names(),
                "status": WorkerStatus.IDLE,
                "last_heartbeat": now,
                "started_at": now,
                "stopped_at": None,
            },
        )
        self.ledger_pk = row.pk
        os.environ[WORKER_PK_ENV] = str(row.pk)  # inherited by every work horse

    def register_death(self) -> None:
        super().register_death()
        if self.ledger_pk is not None:
            QueueWorker.objects.filter(pk=self.ledger_pk).update(
                status=WorkerStatus.STOPPED, stopped_at=timezone.now(), current_job=None
            )
        connections.close_all()

    def heartbeat(self, timeout: int | None = None, pipeline: Any = None) -> None:
        super().heartbeat(timeout, pipeline)
        if self.is_horse or self.ledger_pk is None:
            return
        if time.monotonic() - self._beat_at < settings.WORKER_HEARTBEAT_INTERVAL / 2:
            return
        self._beat_at = time.monotonic()
        try:
            self._ledger_heartbeat()
        except Exception:  # an exception here would stop the worker: log and go on
            logger.exception("worker %s: heartbeat to the ledger failed", self.name)

    def _ledger_heartbeat(self) -> None:
        assert self.ledger_pk is not None
        job_id = self.get_current_job_id()
        current = None
        if job_id:  # the row may have been deleted meanwhile: never point at a missing job
            current = QueueJob.objects.filter(pk=job_id).values_list("pk", flat=True).first()
        status = WorkerStatus.BUSY if job_id else WorkerStatus.IDLE
        if self.get_state() == "suspended":
            status = WorkerStatus.SUSPENDED
        QueueWorker.objects.filter(pk=self.ledger_pk).update(
            last_heartbeat=timezone.now(), status=status, current_job=current
        )

    # -- the work horse --------------------------------------------------------------------
    def fork_work_horse(self, job: Job, queue: Queue) -> None:
        # The horse must open its own connections: never share a socket across a fork.
        connections.close_all()
        super().fork_work_horse(job, queue)

    def handle_work_horse_killed(self, job: Job, retpid: int, ret_val: int, rusage: Any) -> None:
        super().handle_work_horse_killed(job, retpid, ret_val, rusage)
        self._cancel_shutdown_timer()
        row = QueueJob.objects.filter(pk=job.id, status=JobStatus.ACTIVE).first()
        if row is None:
            return
        if self._handing_back:
            hand_back(row, f"worker {self.name} shut down before the attempt finished")
        else:
            record_attempt_failure(row, f"work horse died ({_describe_exit(ret_val)})")
        connections.close_all()

    # -- warm shutdown ---------------------------------------------------------------------
    def request_stop(self, signum: int, frame: Any) -> None:
        super().request_stop(signum, frame)
        if self.get_current_job_id() and self._shutdown_timer is None:
            grace = settings.WORKER_SHUTDOWN_GRACE
            logger.info("worker %s: waiting up to %d s for the current job", self.name, grace)
            self._shutdown_timer = threading.Timer(grace, self._give_back_current_job)
            self._shutdown_timer.daemon = True
            self._shutdown_timer.start()

    def _give_back_current_job(self) -> None:
        if self.horse_pid:
            logger.info("worker %s: handing the current job back", self.name)
            self._handing_back = True
            self.kill_horse()

    def _cancel_shutdown_timer(self) -> None:
        if self._shutdown_timer is not None:
            self._shutdown_timer.cancel()


def _describe_exit(ret_val: int | None) -> str:
    if ret_val is None:
        return "killed after exceeding its timeout"
    if os.WIFSIGNALED(ret_val):
        return f"signal {os.WTERMSIG(ret_val)}"
    return f"exit code {os.waitstatus_to_exitcode(ret_val)}"
