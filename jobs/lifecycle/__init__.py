"""The job lifecycle: the one home of a job's status.

`table` says which action takes a job from which statuses to which (and which statuses are
finished); everything else here writes a status by that table, as a compare-and-set UPDATE on
the expected current status, so a worker, a cancel and maintenance can never both win:
`moves` (a new job's first status, dispatch to Redis and back, cancel, retry, release),
`attempt` (claim, complete, fail an attempt, hand back; `retry` decides retry or failure without
a database), `outcome` (an attempt's outcome from the work horse to the ledger). `history` keeps
the stored events and the signals that every change leaves behind. No other module writes
QueueJob.status (tests/jobs/test_lifecycle.py checks).
"""

from jobs.lifecycle.attempt import (
    attempt_row,
    job_attempt_fail,
    job_claim,
    job_complete,
    job_hand_back,
)
from jobs.lifecycle.history import Actor, event_record, move_record, signal_after_commit
from jobs.lifecycle.moves import (
    job_build,
    job_cancel_from,
    job_release,
    job_restart,
    job_status_now,
    job_status_of,
    jobs_mark_waiting,
    jobs_withdraw,
    runnable,
)
from jobs.lifecycle.outcome import Outcome, job_outcome_record, outcome_publish, outcome_take
from jobs.lifecycle.retry import FailureDecision, backoff_delay, failure_decide
from jobs.lifecycle.table import (
    FINISHED,
    TRANSITIONS,
    Transition,
    allowed_from,
    target_of,
    transition_check,
)

__all__ = [
    "FINISHED",
    "TRANSITIONS",
    "Actor",
    "FailureDecision",
    "Outcome",
    "Transition",
    "allowed_from",
    "attempt_row",
    "backoff_delay",
    "event_record",
    "failure_decide",
    "job_attempt_fail",
    "job_build",
    "job_cancel_from",
    "job_claim",
    "job_complete",
    "job_hand_back",
    "job_outcome_record",
    "job_release",
    "job_restart",
    "job_status_now",
    "job_status_of",
    "jobs_mark_waiting",
    "jobs_withdraw",
    "move_record",
    "outcome_publish",
    "outcome_take",
    "runnable",
    "signal_after_commit",
    "target_of",
    "transition_check",
]
