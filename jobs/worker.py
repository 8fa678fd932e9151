"""The RQ worker class: plain `manage.py rqworker` runs it (settings.RQ["WORKER_CLASS"]).

On top of RQ's forking worker it keeps the ledger: it claims each job before forking and records
the outcome the horse hands back, on its own long-lived database connection (a horse that needs
the database opens a connection of its own); it heartbeats into queue_workers; it records the
death of a work horse as a failed attempt; and on SIGTERM it waits WORKER_SHUTDOWN_GRACE seconds
for the current job, then hands it back to the queue.

It rides out outages instead of exiting: while Redis is unreachable it waits and retries (RQ's
own backoff, capped at REDIS_RETRY_MAX seconds so that work resumes soon after Redis returns),
and a job whose horse was running meanwhile is still recorded from the ledger's side; while the
database is unreachable it reconnects and retries recording an outcome until it succeeds.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from typing import Any

import redis
from django.conf import settings
from django.db import DatabaseError, connections
from django.db import Error as DjangoDatabaseError
from django.db.models import F
from django.utils import timezone
from rq import Worker
from rq.job import Job
from rq.queue import Queue

from jobs.lifecycle import (
    Outcome,
    attempt_row,
    job_attempt_fail,
    job_claim,
    job_outcome_record,
    job_status_of,
    outcome_take,
)
from jobs.models import JobStatus, QueueJob, QueueWorker, WorkerStatus
from jobs.services.dispatch import job_requeue
from queueproject.processes import die_with_parent, pid_alive
from queueproject.redis_client import DRIVER

logger = logging.getLogger("jobs.worker")

# Database connections a horse inherited from its worker. Kept referenced and never closed: closing
# one would end the worker's session on the shared socket. The horse exits with os._exit.
_inherited_connections: list[Any] = []

REDIS_DOWN = (redis.ConnectionError, redis.TimeoutError)
REDIS_RETRY_MAX = 2.0  # seconds between attempts to reach Redis again, at most
DB_RETRY_MAX = 5.0


class RqSuccessLines(logging.Filter):
    """Drops RQ's "Successfully completed ..." and "Job OK" lines. For RQ every attempt succeeds
    (runner.execute records a handler's failure on the row instead of raising), so they would
    contradict the ledger; the lifecycle logs what the ledger says: completed, or failed with the
    error and whether a retry is scheduled."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        return not (text.startswith("Successfully completed") or "Job OK" in text)


RQ_SUCCESS_LINES = RqSuccessLines()


class LedgerWorker(Worker):
    log_result_lifespan = False  # "result is kept for N seconds": RQ's result, not the job's
    max_connection_wait_time = REDIS_RETRY_MAX  # RQ's backoff while dequeueing

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        interval = settings.WORKER_HEARTBEAT_INTERVAL
        kwargs["worker_ttl"] = interval + 15  # RQ waits worker_ttl - 15 s between idle heartbeats
        kwargs["job_monitoring_interval"] = interval
        super().__init__(*args, **kwargs)
        self.log.addFilter(RQ_SUCCESS_LINES)  # added once: addFilter skips a filter it holds
        # django-rq builds these clients from a URL, without our driver info: every horse's new
        # connections then read redis-py's package metadata again (~4 ms a job, measured).
        for client in (self.connection, *(queue.connection for queue in self.queues)):
            client.connection_pool.connection_kwargs["driver_info"] = DRIVER
        self.ledger_pk: int | None = None
        self._beat_at = 0.0
        self._shutdown_timer: threading.Timer | None = None
        self._handing_back = False
        self._claimed: QueueJob | None = None
        self._counts = {"jobs_completed": 0, "jobs_failed": 0, "busy_seconds": 0.0}
        self._claiming = False

    # -- lifecycle -------------------------------------------------------------------------
    def register_birth(self) -> None:
        self._forget_dead_namesake()
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
        for orphan in QueueJob.objects.filter(status=JobStatus.ACTIVE, worker_id=row.pk):
            job_requeue(orphan, reason=f"worker {self.name} restarted before the attempt finished")

    def _forget_dead_namesake(self) -> None:
        """RQ refuses a name whose registration has not expired. If that registration is from a
        dead process on this host (our crashed predecessor), it is stale: remove it."""
        hostname, pid = self.connection.hmget(self.key, ["hostname", "pid"])
        if hostname is None or pid is None:
            return
        if (hostname.decode() if isinstance(hostname, bytes) else hostname) != socket.gethostname():
            return
        if not pid_alive(int(pid)):
            logger.info("worker %s: clearing the registration of dead pid %s", self.name, int(pid))
            self.connection.delete(self.key)

    def register_death(self) -> None:
        super().register_death()
        if self.ledger_pk is not None:
            QueueWorker.objects.filter(pk=self.ledger_pk).update(
                status=WorkerStatus.STOPPED,
                stopped_at=timezone.now(),
                current_job=None,
                **{name: F(name) + value for name, value in self._counts.items()},
            )
        connections.close_all()

    def heartbeat(self, timeout: int | None = None, pipeline: Any = None) -> None:
        try:
            super().heartbeat(timeout, pipeline)
        except REDIS_DOWN as exc:  # RQ's heartbeat: the next dequeue waits for Redis
            logger.warning("worker %s: Redis unreachable, heartbeat skipped: %s", self.name, exc)
        if self.is_horse or self.ledger_pk is None:
            return
        if time.monotonic() - self._beat_at < settings.WORKER_HEARTBEAT_INTERVAL / 2:
            return
        self._beat_at = time.monotonic()
        try:
            _drop_broken_connections()
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
        counts, self._counts = self._counts, dict.fromkeys(self._counts, 0)
        QueueWorker.objects.filter(pk=self.ledger_pk).update(
            last_heartbeat=timezone.now(),
            status=status,
            current_job=current,
            **{name: F(name) + value for name, value in counts.items()},
        )

    # -- the work horse --------------------------------------------------------------------
    def execute_job(self, job: Job, queue: Queue) -> None:
        ledger_job = self._claim(job, queue)
        if ledger_job is None:
            return
        if self._stop_requested:  # SIGTERM came while claiming: leave it to another worker
            job_requeue(ledger_job, reason=f"worker {self.name} is shutting down")
            self._claimed = None
            return
        try:
            self._run_horse(job, queue)
            _until_recorded(lambda: self._record(ledger_job), what=f"job {job.id}")
        finally:
            self._claimed = None

    def _run_horse(self, job: Job, queue: Queue) -> None:
        """RQ's fork and watch. If Redis goes away meanwhile, RQ's bookkeeping fails but the horse
        goes on (it records its own outcome when it cannot hand it over): wait for it."""
        try:
            super().execute_job(job, queue)
        except REDIS_DOWN as exc:
            logger.warning("worker %s: Redis lost while job %s ran: %s", self.name, job.id, exc)
            if self.horse_pid:
                self.wait_for_horse()
            self._horse_pid = 0

    # -- Redis outages: RQ's main loop quits on any error outside its dequeue ------------------
    def check_for_suspension(self, burst: bool) -> None:
        with contextlib.suppress(*REDIS_DOWN):  # the dequeue that follows waits for Redis
            super().check_for_suspension(burst)

    def set_state(self, state: Any, pipeline: Any = None) -> None:
        with contextlib.suppress(*REDIS_DOWN):  # RQ's display of the state; the ledger has its own
            super().set_state(state, pipeline)

    def set_current_job_working_time(
        self, current_job_working_time: float, pipeline: Any = None
    ) -> None:
        with contextlib.suppress(*REDIS_DOWN):
            super().set_current_job_working_time(current_job_working_time, pipeline)

    def run_maintenance_tasks(self) -> None:
        try:
            super().run_maintenance_tasks()
        except REDIS_DOWN as exc:
            logger.warning(
                "worker %s: RQ maintenance skipped, Redis unreachable: %s", self.name, exc
            )

    def dequeue_job_and_maintain_ttl(
        self, timeout: int | None, max_idle_time: int | None = None
    ) -> Any:
        # RQ retries a refused dequeue itself, but quits on a timeout, or on an error in its
        # bookkeeping around the dequeue: wait for Redis and try again, whatever the error.
        wait = 0.5
        while True:
            try:
                return super().dequeue_job_and_maintain_ttl(timeout, max_idle_time)
            except REDIS_DOWN as exc:
                logger.warning(
                    "worker %s: Redis unreachable, retrying in %.1f s: %s", self.name, wait, exc
                )
                time.sleep(wait)
                wait = min(wait * 2, REDIS_RETRY_MAX)

    def _claim(self, job: Job, queue: Queue) -> QueueJob | None:
        _drop_broken_connections()
        self._claiming = True
        try:
            ledger_job = job_claim(job.id, worker_pk=self.ledger_pk, worker_name=self.name)
        except DatabaseError as exc:  # the ledger is unreachable: put the job back and wait
            logger.error("worker %s: cannot claim job %s, returning it: %s", self.name, job.id, exc)
            queue.push_job_id(job.id, at_front=True)
            time.sleep(1)
            return None
        finally:
            self._claiming = False
        if ledger_job is None:  # cancelled, paused or running elsewhere: nothing to run here
            _forget_unless_running(job)
        self._claimed = ledger_job
        return ledger_job

    def _record(self, ledger_job: QueueJob) -> None:
        outcome = outcome_take(ledger_job)
        if outcome is None:
            # Killed, stopped and handed-back horses were recorded already (the compare-and-set
            # below then changes nothing); any other horse that ended silently failed its attempt.
            outcome = Outcome("failed", message="the work horse ended without an outcome")
            if job_attempt_fail(ledger_job, message=outcome.message) is None:
                return
        else:
            job_outcome_record(ledger_job, outcome=outcome)
        self._count(outcome)

    def _count(self, outcome: Outcome) -> None:
        """Counted in memory, written with the next heartbeat (not one more query per job)."""
        self._counts["jobs_completed" if outcome.status == "completed" else "jobs_failed"] += 1
        self._counts["busy_seconds"] += outcome.seconds

    def main_work_horse(self, job: Job, queue: Queue) -> None:
        parent = os.getppid()
        die_with_parent()  # a horse never outlives its worker (whose restart hands the job back)
        if os.getppid() != parent:
            os._exit(1)
        # In the new horse: let Django open fresh connections if the handler needs the database.
        for conn in connections.all(initialized_only=True):
            if conn.connection is not None:
                _inherited_connections.append(conn.connection)
                conn.connection = None
        super().main_work_horse(job, queue)

    def perform_job(self, job: Job, queue: Queue) -> bool:
        """In the work horse: the entry point gets the row this worker claimed as an argument.
        The horse's copy of RQ's job carries it in memory only (RQ deletes the job afterwards,
        result_ttl=0, without saving its arguments again)."""
        if self._claimed is not None and str(self._claimed.pk) == job.id:
            job.kwargs = {**job.kwargs, "claimed": self._claimed}
        return super().perform_job(job, queue)

    def handle_work_horse_killed(self, job: Job, retpid: int, ret_val: int, rusage: Any) -> None:
        super().handle_work_horse_killed(job, retpid, ret_val, rusage)
        self._cancel_shutdown_timer()
        _until_recorded(lambda: self._record_killed(job, ret_val), what=f"job {job.id}")

    def _record_killed(self, job: Job, ret_val: int) -> None:
        claimed = self._claimed
        row = attempt_row(claimed).first() if claimed and str(claimed.pk) == job.id else None
        if row is None:
            return
        outcome = outcome_take(row)
        if outcome is not None:  # it died after finishing (while RQ tidied up): keep the outcome
            job_outcome_record(row, outcome=outcome)
        elif self._handing_back:
            job_requeue(row, reason=f"worker {self.name} shut down before the attempt finished")
        else:
            job_attempt_fail(row, message=f"work horse died ({_describe_exit(ret_val)})")
            self._count(Outcome("failed"))

    # -- warm shutdown ---------------------------------------------------------------------
    def request_stop(self, signum: int, frame: Any) -> None:
        super().request_stop(signum, frame)
        if self._claimed is not None and self._shutdown_timer is None:
            grace = settings.WORKER_SHUTDOWN_GRACE
            logger.info("worker %s: waiting up to %d s for the current job", self.name, grace)
            self._shutdown_timer = threading.Timer(grace, self._give_back_current_job)
            self._shutdown_timer.daemon = True
            self._shutdown_timer.start()

    def _shutdown(self) -> None:
        if self._claiming or self._claimed is not None:  # busy in the ledger's eyes already
            self._stop_requested = True
            return
        super()._shutdown()

    def _give_back_current_job(self) -> None:
        if self.horse_pid:
            logger.info("worker %s: handing the current job back", self.name)
            self._handing_back = True
            self.kill_horse()

    def _cancel_shutdown_timer(self) -> None:
        if self._shutdown_timer is not None:
            self._shutdown_timer.cancel()


def _until_recorded(record: Any, *, what: str) -> None:
    """Run `record` (it writes an outcome to the ledger) until the database takes it: a worker
    that lost its connection reconnects, rather than exiting with the outcome unrecorded."""
    wait = 0.5
    while True:
        try:
            record()
            return
        except DjangoDatabaseError as exc:
            logger.warning("worker: could not record %s, retrying in %.1f s: %s", what, wait, exc)
            connections.close_all()
            time.sleep(wait)
            wait = min(wait * 2, DB_RETRY_MAX)


def _forget_unless_running(job: Job) -> None:
    """Delete RQ's copy of a job this worker will not run, unless the ledger says it is running:
    then the copy is the running one's, which a cancel needs to stop its work horse."""
    if job_status_of(job.id) != JobStatus.ACTIVE:
        job.delete()


def _drop_broken_connections() -> None:
    """A database restart breaks the worker's long-lived connection: reconnect on the next query."""
    for conn in connections.all(initialized_only=True):
        if conn.connection is not None and conn.errors_occurred and not conn.is_usable():
            conn.close()


def _describe_exit(ret_val: int | None) -> str:
    if ret_val is None:
        return "killed after exceeding its timeout"
    if os.WIFSIGNALED(ret_val):
        return f"signal {os.WTERMSIG(ret_val)}"
    return f"exit code {os.waitstatus_to_exitcode(ret_val)}"
