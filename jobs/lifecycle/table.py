"""The allowed moves of a job's status: one table, read by every write and every check."""

from __future__ import annotations

from dataclasses import dataclass

from jobs.errors import InvalidTransition
from jobs.models import EventKind, JobStatus


@dataclass(frozen=True)
class Transition:
    """An action takes a job in one of `sources` to `target` (None: the status stays, as when a
    promotion reorders a waiting job, or the row goes, as when it is deleted), and leaves `event`
    in the job's history (none for dispatch, release and delete)."""

    sources: frozenset[str]
    target: str | None
    event: str = ""


def _t(sources: set[JobStatus], target: JobStatus | None, event: str = "") -> Transition:
    return Transition(frozenset(sources), target, event)


_S, _E = JobStatus, EventKind
TRANSITIONS: dict[str, Transition] = {
    "dispatch": _t({_S.PENDING, _S.SCHEDULED}, _S.WAITING),  # handed to Redis
    "withdraw": _t({_S.WAITING}, _S.PENDING, _E.HANDED_BACK),  # out of Redis: refused, paused, lost
    "claim": _t({_S.WAITING}, _S.ACTIVE, _E.STARTED),  # a worker starts an attempt
    "complete": _t({_S.ACTIVE}, _S.COMPLETED, _E.COMPLETED),
    "retry_later": _t({_S.ACTIVE}, _S.SCHEDULED, _E.FAILED),  # a failed attempt, attempts left
    "fail": _t({_S.ACTIVE}, _S.FAILED, _E.FAILED),  # attempts spent, or a permanent error
    "hand_back": _t({_S.ACTIVE}, _S.PENDING, _E.HANDED_BACK),  # interrupted, not counted
    "cancel": _t({_S.PENDING, _S.SCHEDULED, _S.WAITING, _S.ACTIVE}, _S.CANCELLED, _E.CANCELLED),
    "retry": _t({_S.FAILED, _S.CANCELLED}, _S.PENDING, _E.RETRIED),  # afresh, history kept
    "promote": _t({_S.PENDING, _S.SCHEDULED, _S.WAITING}, None, _E.PROMOTED),  # run next
    "release": _t({_S.SCHEDULED}, _S.PENDING),  # a promoted scheduled job is due now
    "delete": _t({_S.PENDING, _S.SCHEDULED, _S.COMPLETED, _S.FAILED, _S.CANCELLED}, None),
}

# Statuses no attempt will leave: only a retry (or a delete) takes a job out of them.
FINISHED: tuple[str, ...] = (_S.COMPLETED, _S.FAILED, _S.CANCELLED)


def allowed_from(action: str) -> frozenset[str]:
    """The statuses `action` takes a job from."""
    return TRANSITIONS[action].sources


def target_of(action: str) -> str:
    """The status `action` moves a job to (only for actions that change it)."""
    target = TRANSITIONS[action].target
    if target is None:
        raise ValueError(f"{action} does not change a job's status")
    return target


def transition_check(action: str, status: str) -> None:
    """Refuse `action` on a job that is `status` unless the table allows it (HTTP 409)."""
    if status not in allowed_from(action):
        raise InvalidTransition(action=action, status=status, allowed=allowed_from(action))
