"""The engine with real forking workers (`manage.py rqworker`) and the maintenance loop."""

from __future__ import annotations

import os
import signal
import subprocess

import pytest
from django.utils import timezone

from jobs.maintenance import maintenance_run
from jobs.models import EventKind, JobStatus, QueueJob, QueueWorker, WorkerStatus
from jobs.services import (
    JobSpec,
    job_cancel,
    job_submit,
    job_submit_batch,
    queue_pause,
    queue_resume,
)
from tests.conftest import Processes, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def reload(job: QueueJob) -> QueueJob:
    job.refresh_from_db()
    return job


def wait_status(job: QueueJob, status: str, processes: Processes, timeout: float = 30) -> QueueJob:
    try:
        wait_until(lambda: reload(job).status == status, timeout, what=f"job {status}")
    except AssertionError:
        raise AssertionError(f"job is {job.status}, not {status}\n{processes.logs()}") from None
    return job


def horse_of(worker: subprocess.Popen[bytes]) -> int:
    """The worker's work horse. The worker claims a job before it forks, so a job can be active
    in the ledger a moment before its horse exists: wait for it."""
    children: list[str] = []

    def forked() -> bool:
        children[:] = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(worker.pid)], capture_output=True, text=True
        ).stdout.split()
        return bool(children)

    wait_until(forked, 10, interval=0.02, what="the work horse")
    return int(children[0])


def kinds(job: QueueJob) -> list[str]:
    return list(job.events.values_list("kind", flat=True))


def test_worker_registers_and_heartbeats_then_stops(processes: Processes) -> None:
    worker = processes.worker("beat")
    wait_until(lambda: QueueWorker.objects.filter(status=WorkerStatus.IDLE).exists(), 20)
    row = QueueWorker.objects.get()
    first = row.last_heartbeat
    wait_until(lambda: QueueWorker.objects.get().last_heartbeat > first, 10, what="a heartbeat")
    assert row.queues[:2] == ["uploads.p01", "default.p01"]
    worker.send_signal(signal.SIGTERM)
    worker.wait(timeout=10)
    assert QueueWorker.objects.get().status == WorkerStatus.STOPPED


def test_priority_order_and_fifo_hold_for_a_resumed_backlog(processes: Processes) -> None:
    queue_pause(queue="default")
    priorities = [5, 1, 10, 1, 5, 3, 10, 3, 1, 5]
    jobs = [job_submit(spec=JobSpec(type="system.noop", priority=p)) for p in priorities]
    processes.worker()
    wait_until(lambda: QueueWorker.objects.exists(), 20)
    queue_resume(queue="default")
    wait_until(lambda: QueueJob.objects.filter(status=JobStatus.COMPLETED).count() == 10, 60)
    started = [j.pk for j in QueueJob.objects.order_by("started_at")]
    expected = [j.pk for j in sorted(jobs, key=lambda j: (j.priority, j.created_at))]
    assert started == expected


def test_failing_twice_then_succeeding_completes_on_attempt_three(processes: Processes) -> None:
    processes.worker()
    processes.maintenance()
    job = job_submit(spec=JobSpec(type="system.fail", data={"times": 2}, backoff_base=0.2))
    wait_status(job, JobStatus.COMPLETED, processes)
    assert job.attempts == 3
    assert job.result == {"succeeded_on_attempt": 3}
    delays = [
        e.details["retry_in_seconds"]
        for e in job.events.filter(kind=EventKind.RETRY_SCHEDULED).order_by("at")
    ]
    assert len(delays) == 2
    assert 0.1 <= delays[0] <= 0.2  # base * 2^0, with jitter down to half
    assert 0.2 <= delays[1] <= 0.4  # base * 2^1
    assert kinds(job).count(EventKind.STARTED) == 3


def test_permanent_error_fails_at_once(processes: Processes) -> None:
    processes.worker()
    job = job_submit(spec=JobSpec(type="system.fail", data={"permanent": True}))
    wait_status(job, JobStatus.FAILED, processes)
    assert job.attempts == 1
    assert job.error_message == "diagnostic permanent failure"


def test_the_worker_log_says_what_the_ledger_says(processes: Processes) -> None:
    processes.worker()
    retried = job_submit(spec=JobSpec(type="system.fail", data={"times": 5}, backoff_base=60))
    permanent = job_submit(spec=JobSpec(type="system.fail", data={"permanent": True}))
    done = job_submit(spec=JobSpec(type="system.noop"))
    wait_status(retried, JobStatus.SCHEDULED, processes)
    wait_status(permanent, JobStatus.FAILED, processes)
    wait_status(done, JobStatus.COMPLETED, processes)
    log = (processes.log_dir / "w1.log").read_text()
    assert "Job OK" not in log
    assert "Successfully completed" not in log
    assert (
        f"job {retried.pk} system.fail attempt 1/3 failed: "
        "RuntimeError: diagnostic failure on attempt 1; retry in "
    ) in log
    assert (
        f"job {permanent.pk} system.fail attempt 1/3 failed: diagnostic permanent failure; "
        "job failed, no retry (permanent error)"
    ) in log
    assert f"job {done.pk} system.noop attempt 1/3 completed [" in log


def test_timeout_fails_the_attempt_and_retries(processes: Processes) -> None:
    processes.worker()
    processes.maintenance()
    job = job_submit(
        spec=JobSpec(
            type="system.sleep", data={"seconds": 30}, timeout=1, max_attempts=2, backoff_base=0.2
        )
    )
    wait_status(job, JobStatus.FAILED, processes, timeout=45)
    assert job.attempts == 2
    assert job.error_message == "timed out after 1 s"
    assert kinds(job).count(EventKind.RETRY_SCHEDULED) == 1


def test_cancelled_waiting_job_never_runs(processes: Processes) -> None:
    job = job_submit(spec=JobSpec(type="system.noop"))
    job_cancel(job=job)
    processes.worker()
    after = job_submit(spec=JobSpec(type="system.noop"))
    wait_status(after, JobStatus.COMPLETED, processes)
    assert reload(job).status == JobStatus.CANCELLED
    assert job.attempts == 0
    assert EventKind.STARTED not in kinds(job)


def test_cancelled_active_job_has_its_work_horse_stopped(processes: Processes) -> None:
    worker = processes.worker()
    job = job_submit(spec=JobSpec(type="system.sleep", data={"seconds": 60}))
    wait_status(job, JobStatus.ACTIVE, processes)
    horse = horse_of(worker)
    job_cancel(job=job)
    wait_until(lambda: not os.path.exists(f"/proc/{horse}"), 10, what="the work horse to die")
    follower = job_submit(spec=JobSpec(type="system.noop"))
    wait_status(follower, JobStatus.COMPLETED, processes, timeout=10)
    assert reload(job).status == JobStatus.CANCELLED


def test_work_horse_killed_mid_job_is_a_failed_attempt_that_retries(processes: Processes) -> None:
    worker = processes.worker()
    processes.maintenance()
    job = job_submit(spec=JobSpec(type="system.sleep", data={"seconds": 2}, backoff_base=0.2))
    wait_status(job, JobStatus.ACTIVE, processes)
    os.kill(horse_of(worker), signal.SIGKILL)
    wait_status(job, JobStatus.COMPLETED, processes)
    assert job.attempts == 2
    failure = job.events.get(kind=EventKind.FAILED)
    assert failure.message == "work horse died (signal 9)"


def test_worker_killed_mid_job_is_recovered_by_maintenance(processes: Processes, settings) -> None:
    settings.WORKER_DEAD_AFTER = 3
    doomed = processes.worker("doomed")
    job = job_submit(spec=JobSpec(type="system.sleep", data={"seconds": 3}))
    wait_status(job, JobStatus.ACTIVE, processes)
    horse = horse_of(doomed)
    doomed.kill()  # SIGKILL: no cleanup, no goodbye
    os.kill(horse, signal.SIGKILL)
    doomed.wait()
    processes.worker("rescuer")
    wait_until(lambda: maintenance_run().recovered == 1, 20, interval=0.5, what="a recovery")
    wait_status(job, JobStatus.COMPLETED, processes)
    assert job.stalled_count == 1
    assert job.attempts == 1  # the stalled attempt does not count against max_attempts
    assert EventKind.STALLED in kinds(job)
    assert QueueWorker.objects.get(name__contains="doomed").status == WorkerStatus.DEAD


def test_jobs_survive_redis_losing_everything(processes: Processes, lose_redis_data) -> None:
    jobs = job_submit_batch(specs=[JobSpec(type="system.noop")] * 300)
    assert QueueJob.objects.filter(status=JobStatus.WAITING).count() == 300
    lose_redis_data()
    QueueJob.objects.update(enqueued_at=timezone.now() - timezone.timedelta(seconds=30))
    processes.worker("a")
    processes.worker("b")
    assert maintenance_run().redispatched == 300
    wait_until(
        lambda: QueueJob.objects.filter(status=JobStatus.COMPLETED).count() == 300,
        120,
        interval=0.5,
        what="all 300 jobs to complete",
    )
    assert {j.attempts for j in QueueJob.objects.filter(pk__in=[j.pk for j in jobs])} == {1}


def test_warm_shutdown_hands_the_current_job_back(processes: Processes) -> None:
    worker = processes.worker("leaving")
    job = job_submit(spec=JobSpec(type="system.sleep", data={"seconds": 60}))
    wait_status(job, JobStatus.ACTIVE, processes)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=15) == 0
    reload(job)
    assert job.status in (JobStatus.PENDING, JobStatus.WAITING)
    assert job.attempts == 0
    assert EventKind.HANDED_BACK in kinds(job)
    processes.worker("stays")
    QueueJob.objects.filter(pk=job.pk).update(data={"seconds": 0.1})
    wait_status(job, JobStatus.COMPLETED, processes)


def test_a_horse_that_vanishes_without_an_outcome_fails_its_attempt(processes: Processes) -> None:
    processes.worker()
    job = job_submit(spec=JobSpec(type="system.fail", data={"exit": True}, max_attempts=1))
    wait_status(job, JobStatus.FAILED, processes)
    assert job.error_message == "the work horse ended without an outcome"


def test_a_worker_restarted_under_its_name_hands_back_its_orphaned_job(
    processes: Processes,
) -> None:
    first = processes.worker("same")
    job = job_submit(spec=JobSpec(type="system.sleep", data={"seconds": 60}))
    wait_status(job, JobStatus.ACTIVE, processes)
    horse = horse_of(first)
    first.kill()
    first.wait()
    wait_until(lambda: not os.path.exists(f"/proc/{horse}"), 10, what="the horse to die with it")
    QueueJob.objects.filter(pk=job.pk).update(data={"seconds": 0.1})
    processes.worker("same")
    wait_status(job, JobStatus.COMPLETED, processes)
    handed = job.events.get(kind=EventKind.HANDED_BACK)
    assert "restarted before the attempt finished" in handed.message
    assert job.attempts == 1
