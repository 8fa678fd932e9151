"""What the services share with the job lifecycle, which owns them: the actor of a change, the
stored history and the signals sent after a commit."""

from jobs.lifecycle.history import Actor, event_record, signal_after_commit

__all__ = ["Actor", "event_record", "signal_after_commit"]
