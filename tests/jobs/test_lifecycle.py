"""The job lifecycle: the retry decision (no database), the transition table, and the rule that
no module but the lifecycle writes a job's status."""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path

import pytest

from jobs.errors import InvalidTransition
from jobs.lifecycle import (
    FINISHED,
    TRANSITIONS,
    backoff_delay,
    failure_decide,
    job_cancel_from,
    job_claim,
    job_restart,
    transition_check,
)
from jobs.models import JobStatus, QueueState
from tests.factories import make_job

NOW = dt.datetime(2026, 1, 1, 8, 0, tzinfo=dt.UTC)
ROOT = Path(__file__).resolve().parents[2]


def no_jitter(low: float, high: float) -> float:
    return high


def decide(attempts: int, *, max_attempts: int = 3, permanent: bool = False, cap: float = 3600):
    return failure_decide(
        attempts=attempts,
        max_attempts=max_attempts,
        backoff_base=10,
        backoff_max=cap,
        permanent=permanent,
        now=NOW,
        jitter=no_jitter,
    )


# -- the retry decision ----------------------------------------------------------------------
def test_a_first_failure_retries_after_the_base_delay() -> None:
    decision = decide(1)
    assert (decision.status, decision.delay) == (JobStatus.SCHEDULED, 10)
    assert decision.retry_at == NOW + dt.timedelta(seconds=10)


def test_each_further_attempt_doubles_the_delay() -> None:
    assert [decide(n, max_attempts=5).delay for n in (1, 2, 3, 4)] == [10, 20, 40, 80]


def test_the_delay_never_exceeds_the_cap() -> None:
    assert decide(9, max_attempts=20, cap=60).delay == 60


def test_jitter_keeps_the_delay_between_half_and_all_of_the_backoff() -> None:
    delays = {backoff_delay(base=10, cap=3600, attempt=3) for _ in range(200)}
    assert all(20 <= delay <= 40 for delay in delays)
    assert len(delays) > 1


def test_the_last_allowed_attempt_fails_the_job() -> None:
    decision = decide(3, max_attempts=3)
    assert (decision.status, decision.retry_at, decision.delay) == (JobStatus.FAILED, None, None)


def test_a_permanent_error_fails_the_job_with_attempts_left() -> None:
    assert decide(1, max_attempts=3, permanent=True).status == JobStatus.FAILED


# -- the transition table --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("action", "status"),
    [
        ("cancel", JobStatus.COMPLETED),
        ("cancel", JobStatus.FAILED),
        ("retry", JobStatus.ACTIVE),
        ("retry", JobStatus.COMPLETED),
        ("promote", JobStatus.ACTIVE),
        ("delete", JobStatus.WAITING),
        ("claim", JobStatus.PENDING),
        ("complete", JobStatus.WAITING),
    ],
)
def test_the_table_refuses_an_action_from_a_status_it_does_not_list(
    action: str, status: str
) -> None:
    with pytest.raises(InvalidTransition, match=f"cannot {action} a job that is {status}"):
        transition_check(action, status)


def test_only_a_retry_or_a_delete_takes_a_job_out_of_a_finished_status() -> None:
    leaving = {a for a, t in TRANSITIONS.items() if t.sources & set(FINISHED)}
    assert leaving == {"retry", "delete"}
    assert set(FINISHED) == {JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED}


def test_every_status_is_reached_and_left_by_some_action() -> None:
    reached = {t.target for t in TRANSITIONS.values()} | {JobStatus.PENDING, JobStatus.SCHEDULED}
    left = set().union(*(t.sources for t in TRANSITIONS.values()))
    assert reached >= set(JobStatus.values)
    assert left == set(JobStatus.values)


@pytest.mark.django_db
def test_cancel_of_a_finished_job_is_refused_and_leaves_it_as_it_was() -> None:
    job = make_job(status=JobStatus.COMPLETED)
    with pytest.raises(InvalidTransition, match="cannot cancel a job that is completed"):
        job_cancel_from(job.pk, status=JobStatus.COMPLETED)
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED


@pytest.mark.django_db
def test_retry_of_a_job_that_moved_on_is_refused_with_its_current_status() -> None:
    job = make_job(status=JobStatus.ACTIVE)  # read as failed by a caller, active by now
    with pytest.raises(InvalidTransition, match="cannot retry a job that is active"):
        job_restart(job.pk, status=JobStatus.FAILED)
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.ACTIVE, 0)


# -- one home: no other module writes QueueJob.status ----------------------------------------
SCANNED = ["jobs", "uploads", "dashboard", "queueproject"]
LIFECYCLE = ROOT / "jobs" / "lifecycle"
WRITES = {"update", "create", "get_or_create", "update_or_create", "bulk_update"}
OTHER_MODELS = {"QueueWorker", "WorkerStatus", "Device", "DeviceStatus"}  # statuses of their own
RAW_STATUS_SET = re.compile(
    r"(?is)\bupdate\s+\W?queue_jobs\W?\s+set\b(?:(?!\bwhere\b).)*\bstatus\s*="
)


def _names(node: ast.AST) -> set[str]:
    found = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            found.add(sub.id)
        elif isinstance(sub, ast.Attribute):
            found.add(sub.attr)
    return found


def _has_status_key(node: ast.AST) -> bool:
    return isinstance(node, ast.Dict) and any(
        isinstance(key, ast.Constant) and key.value == "status" for key in node.keys
    )


class StatusWrites(ast.NodeVisitor):
    """Finds the ways a module could write QueueJob.status: `.update(status=...)` and the other
    QuerySet writes, `QueueJob(status=...)`, a `{"status": ...}` dict unpacked into one of them
    (directly or through a variable), `job.status = ...`, `setattr(job, "status", ...)`, and raw
    SQL that sets queue_jobs.status. Writes on other models with a status field (workers,
    devices) are told apart by their model or status class."""

    def __init__(self) -> None:
        self.found: list[tuple[int, str]] = []
        self._class: list[str] = []
        self._status_dicts: set[str] = set()  # variables bound to a {"status": ...} dict
        self._unpacked: list[tuple[int, str]] = []  # variables unpacked into a write

    def report(self) -> list[tuple[int, str]]:
        unpacked = [
            (line, f"**{name}, a dict with 'status'")
            for line, name in self._unpacked
            if name in self._status_dicts
        ]
        return sorted(self.found + unpacked)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._class.append(node.name)
        self.generic_visit(node)
        self._class.pop()

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        other = _names(func) & OTHER_MODELS
        if (name in WRITES or name == "QueueJob") and not other:
            self._check_write(node, name)
        if name == "setattr" and len(node.args) > 1:
            key = node.args[1]
            if isinstance(key, ast.Constant) and key.value == "status":
                self.found.append((node.lineno, "setattr(..., 'status', ...)"))
        self.generic_visit(node)

    def _check_write(self, node: ast.Call, name: str) -> None:
        for keyword in node.keywords:
            if keyword.arg == "status" and not _names(keyword.value) & OTHER_MODELS:
                self.found.append((node.lineno, f"{name}(status=...)"))
            elif keyword.arg is None and _has_status_key(keyword.value):
                self.found.append((node.lineno, f"{name}(**{{'status': ...}})"))
            elif keyword.arg is None and isinstance(keyword.value, ast.Name):
                self._unpacked.append((node.lineno, keyword.value.id))

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._check_target(target, node.value)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._check_target(node.target, node.value)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self._check_target(node.target, node.value)
        self.generic_visit(node)

    def _check_target(self, target: ast.AST, value: ast.AST) -> None:
        if isinstance(target, ast.Tuple | ast.List):
            for element in target.elts:
                self._check_target(element, value)
        elif isinstance(target, ast.Name) and _has_status_key(value):
            self._status_dicts.add(target.id)
        elif isinstance(target, ast.Attribute) and target.attr == "status":
            own = isinstance(target.value, ast.Name) and target.value.id == "self"
            if not own or (self._class and self._class[-1] == "QueueJob"):
                self.found.append((target.lineno, ".status = ..."))

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and RAW_STATUS_SET.search(node.value):
            self.found.append((node.lineno, "SQL: UPDATE queue_jobs SET status"))


def status_writes(source: str) -> list[tuple[int, str]]:
    visitor = StatusWrites()
    visitor.visit(ast.parse(source))
    return visitor.report()


def scanned_modules() -> list[Path]:
    paths = [p for top in SCANNED for p in sorted((ROOT / top).rglob("*.py"))]
    return [p for p in paths if LIFECYCLE not in p.parents and ".venv" not in p.parts]


def test_only_the_lifecycle_writes_a_job_status() -> None:
    modules = scanned_modules()
    assert len(modules) > 50  # the walk found the project
    writes = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for path in modules
        for line, what in status_writes(path.read_text(encoding="utf-8"))
    ]
    assert writes == []


@pytest.mark.parametrize(
    "write",
    [
        "QueueJob.objects.filter(pk=1).update(status=JobStatus.FAILED)",
        "jobs.update(status=to, updated_at=now)",
        "QueueJob.objects.create(type='t', status='active')",
        "QueueJob(type='t', status=JobStatus.SCHEDULED)",
        "rows.update(**{'status': 'pending'})",
        "fields = {'status': JobStatus.SCHEDULED}\nrows.update(**fields)",
        "fields: dict = {'status': 'failed'}\nQueueJob.objects.filter(pk=1).update(**fields)",
        "job.status = JobStatus.CANCELLED",
        "setattr(job, 'status', 'failed')",
        "cursor.execute('UPDATE queue_jobs SET attempts = 0, status = %s WHERE id = %s')",
    ],
)
def test_the_scan_sees_each_way_of_writing_a_status(write: str) -> None:
    assert status_writes(write) != []


@pytest.mark.parametrize(
    "read",
    [
        "QueueJob.objects.filter(status=JobStatus.ACTIVE)",
        "Q(status=JobStatus.PENDING) | Q(status=JobStatus.SCHEDULED)",
        "QueueWorker.objects.filter(pk=1).update(status=WorkerStatus.DEAD)",
        "event_record(job.pk, 'started', status=JobStatus.ACTIVE)",
        "Response(body, status=202)",
        "InvalidTransition(action='cancel', status=status, allowed=[])",
        "self.action, self.status = action, status",
        "cursor.execute('SELECT status FROM queue_jobs WHERE id = %s')",
        "QueueWorker.objects.filter(pk=1).update(status=status)",
        "job_filter({'status': JobStatus.FAILED, 'queue': queue})",
        "counts['done' if outcome.status == 'completed' else 'failed'] += 1",
    ],
)
def test_the_scan_leaves_reads_and_other_statuses_alone(read: str) -> None:
    assert status_writes(read) == []


@pytest.mark.django_db
def test_a_job_whose_queue_was_paused_after_dispatch_goes_back_to_pending_unclaimed() -> None:
    # The pause landed between dispatch and the worker's claim (the row says waiting still).
    job = make_job(status=JobStatus.WAITING, enqueued_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    QueueState.objects.create(queue=job.queue, paused=True)
    assert job_claim(str(job.pk)) is None
    job.refresh_from_db()
    assert (job.status, job.enqueued_at, job.attempts) == (JobStatus.PENDING, None, 0)
    assert list(job.events.values_list("kind", "status", "message")) == [
        ("handed_back", "pending", "queue paused: back to pending")
    ]
