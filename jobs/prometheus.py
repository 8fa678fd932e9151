"""Prometheus metrics: wait and run time histograms kept in Redis, and the text exposition (0.0.4).

Histograms must be cumulative counters that only grow. They are recorded when each attempt starts
(wait: handed to Redis -> claimed by a worker) and finishes (run: claimed -> completed, failed or
cancelled), by receivers of the lifecycle signals, as HINCRBY on one Redis hash per histogram.
Redis because workers run on many hosts: an in-process registry (prometheus_client) would need a
scrape per worker, and its multiprocess mode a directory shared with the web process. Rebuilding
the histograms from queue_jobs at scrape time would not give counters: retention deletes rows and
a retry overwrites the previous attempt's times, so bucket counts would shrink. If Redis loses its
data the counters start again from zero, which Prometheus's rate() treats as a counter reset.

Gauges (job counts, paused queues, workers, the oldest waiting job) come from the ledger at scrape
time through jobs.selectors.queue_gauges.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import math
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import redis
from django.conf import settings
from django.utils import timezone

from jobs import selectors, signals
from jobs.models import JobStatus, QueueJob
from queueproject.redis_client import redis_from_url

logger = logging.getLogger("jobs.prometheus")

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Seconds, from a quick no-op to an hour-long import (the default timeout is 10 minutes).
BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
OUTCOMES = ("completed", "failed", "cancelled")
_SEP = "\x1f"  # between label values in a hash field: never part of a queue name


@dataclass(frozen=True)
class Histogram:
    name: str
    help: str
    labels: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"qp:metrics:{self.name}"


WAIT = Histogram(
    "queueproject_job_wait_seconds",
    "Seconds from a job attempt being handed to Redis until a worker started it.",
    ("queue",),
)
RUN = Histogram(
    "queueproject_job_run_seconds",
    "Seconds from a worker starting a job attempt until it completed, failed or was cancelled.",
    ("queue", "outcome"),
)


@dataclass
class Series:
    """One labelled series: per-bucket counts (not yet cumulative), count and sum."""

    buckets: list[int] = field(default_factory=lambda: [0] * len(BUCKETS))
    count: int = 0
    sum: float = 0.0


# -- recording -------------------------------------------------------------------------------


@functools.cache
def _client(url: str) -> redis.Redis:
    # Short timeouts: recording runs inside the worker, and a slow Redis must not stall a job.
    return redis_from_url(url, socket_connect_timeout=1, socket_timeout=1)


def metrics_redis() -> redis.Redis:
    return _client(settings.REDIS_URL)


def histogram_observe(histogram: Histogram, *, labels: tuple[str, ...], seconds: float) -> None:
    """Add one observation, atomically (MULTI/EXEC), so a scrape never sees half of it."""
    seconds = max(0.0, seconds)  # hosts' clocks may differ a little
    prefix = _SEP.join(labels)
    with metrics_redis().pipeline(transaction=True) as pipe:
        index = bisect_left(BUCKETS, seconds)  # first bucket with le >= seconds
        if index < len(BUCKETS):
            pipe.hincrby(histogram.key, f"{prefix}{_SEP}le={_number(BUCKETS[index])}", 1)
        pipe.hincrby(histogram.key, f"{prefix}{_SEP}count", 1)
        pipe.hincrbyfloat(histogram.key, f"{prefix}{_SEP}sum", seconds)
        pipe.execute()


def _observe_safely(histogram: Histogram, *, labels: tuple[str, ...], seconds: float) -> None:
    try:
        histogram_observe(histogram, labels=labels, seconds=seconds)
    except (redis.RedisError, OSError) as exc:
        logger.warning("could not record %s%s: %s", histogram.name, labels, exc)
    except Exception:  # a metric must never fail a job
        logger.exception("could not record %s%s", histogram.name, labels)


def _seconds(start: dt.datetime | None, end: dt.datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (end - start).total_seconds()


def _on_started(sender: Any, *, job: QueueJob, **kwargs: Any) -> None:
    queued_at = job.enqueued_at or job.scheduled_at or job.created_at
    seconds = _seconds(queued_at, job.started_at)
    if seconds is not None:
        _observe_safely(WAIT, labels=(job.queue,), seconds=seconds)


def _observe_run(job: QueueJob, outcome: str) -> None:
    # A failed attempt that will retry keeps no completed_at: it ended now.
    seconds = _seconds(job.started_at, job.completed_at or timezone.now())
    if seconds is not None:
        _observe_safely(RUN, labels=(job.queue, outcome), seconds=seconds)


def _on_completed(sender: Any, *, job: QueueJob, **kwargs: Any) -> None:
    _observe_run(job, "completed")


def _on_failed(sender: Any, *, job: QueueJob, **kwargs: Any) -> None:
    _observe_run(job, "failed")  # every failed attempt, whether it will retry or not


def _on_cancelled(sender: Any, *, job: QueueJob, previous: str = "", **kwargs: Any) -> None:
    if previous == JobStatus.ACTIVE:  # a job cancelled while it waited had no run time
        _observe_run(job, "cancelled")


def receivers_connect() -> None:
    """Called from JobsConfig.ready(). dispatch_uid keeps a second call from recording twice."""
    signals.job_started.connect(_on_started, dispatch_uid="prometheus.started")
    signals.job_completed.connect(_on_completed, dispatch_uid="prometheus.completed")
    signals.job_failed.connect(_on_failed, dispatch_uid="prometheus.failed")
    signals.job_cancelled.connect(_on_cancelled, dispatch_uid="prometheus.cancelled")


# -- reading ---------------------------------------------------------------------------------


def histogram_read(histogram: Histogram) -> dict[tuple[str, ...], Series]:
    """Every labelled series of a histogram, read in one HGETALL (a consistent snapshot)."""
    series: dict[tuple[str, ...], Series] = {}
    for raw_field, raw_value in metrics_redis().hgetall(histogram.key).items():
        text = raw_field.decode() if isinstance(raw_field, bytes) else str(raw_field)
        *labels, part = text.split(_SEP)
        if len(labels) != len(histogram.labels):
            continue  # written by an incompatible version: skip rather than mislabel
        one = series.setdefault(tuple(labels), Series())
        if part == "count":
            one.count = int(raw_value)
        elif part == "sum":
            one.sum = float(raw_value)
        elif part.startswith("le="):
            bound = float(part[3:])
            if bound in BUCKETS:  # a bound since retired still counts in count and +Inf
                one.buckets[BUCKETS.index(bound)] = int(raw_value)
    return series


# -- rendering -------------------------------------------------------------------------------

Sample = tuple[str, dict[str, str], float]  # name suffix, labels, value


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _label_value(value: str) -> str:
    return value.replace("\\", r"\\").replace('"', r"\"").replace("\n", r"\n")


def _help_text(text: str) -> str:
    return text.replace("\\", r"\\").replace("\n", r"\n")


def _sample_line(name: str, labels: dict[str, str], value: float) -> str:
    if not labels:
        return f"{name} {_number(value)}"
    rendered = ",".join(f'{key}="{_label_value(val)}"' for key, val in labels.items())
    return f"{name}{{{rendered}}} {_number(value)}"


def _family(name: str, kind: str, help: str, samples: Iterable[Sample]) -> Iterator[str]:
    """One metric family: HELP and TYPE first, then its samples together, as the format requires."""
    yield f"# HELP {name} {_help_text(help)}"
    yield f"# TYPE {name} {kind}"
    for suffix, labels, value in samples:
        yield _sample_line(name + suffix, labels, value)


def _histogram_samples(histogram: Histogram, series: dict[tuple[str, ...], Series]) -> list[Sample]:
    samples: list[Sample] = []
    for labels in sorted(series):
        one, names = series[labels], dict(zip(histogram.labels, labels, strict=True))
        running = 0
        for bound, n in zip(BUCKETS, one.buckets, strict=True):
            running += n
            samples.append(("_bucket", {**names, "le": _number(bound)}, running))
        samples.append(("_bucket", {**names, "le": "+Inf"}, one.count))
        samples += [("_sum", names, one.sum), ("_count", names, one.count)]
    return samples


def _gauge_families(g: selectors.QueueGauges) -> Iterator[str]:
    yield from _family(
        "queueproject_jobs",
        "gauge",
        "Jobs in the ledger by queue and status.",
        (("", {"queue": q, "status": s}, n) for (q, s), n in g.jobs.items()),
    )
    per_queue: list[tuple[str, str, dict[str, Any]]] = [
        ("queueproject_queue_paused", "1 when the queue is paused (it starts no job).", g.paused),
        (
            "queueproject_queue_oldest_waiting_seconds",
            "Age of the oldest job waiting to run (pending or waiting); 0 when none waits.",
            g.oldest_waiting_seconds,
        ),
        (
            "queueproject_queue_max_waiting",
            "Backpressure limit of pending plus waiting jobs; 0 means no limit.",
            g.max_waiting,
        ),
        (
            "queueproject_queue_workers",
            "Live workers (not stopped or dead) that serve the queue.",
            g.queue_workers,
        ),
    ]
    for name, help, values in per_queue:
        samples = [("", {"queue": q}, float(v)) for q, v in values.items()]
        yield from _family(name, "gauge", help, samples)
    yield from _family(
        "queueproject_processing_suspended",
        "gauge",
        "1 when every configured queue is paused (all processing suspended).",
        [("", {}, float(g.processing_suspended))],
    )
    yield from _family(
        "queueproject_workers",
        "gauge",
        "Workers known to the ledger by status.",
        (("", {"status": s}, n) for s, n in g.workers.items()),
    )


def _histogram_families(queues: list[str]) -> Iterator[str]:
    """The histograms, with a zero series for every configured queue so that rate() has a
    baseline; plus whether Redis answered (without it the histograms are left out)."""
    read: dict[Histogram, dict[tuple[str, ...], Series]] | None
    try:
        read = {h: histogram_read(h) for h in (WAIT, RUN)}
    except (redis.RedisError, OSError) as exc:
        logger.warning("metrics: could not read the histograms from Redis: %s", exc)
        read = None
    yield from _family(
        "queueproject_redis_up",
        "gauge",
        "1 when Redis answered this scrape (the wait and run histograms are kept there).",
        [("", {}, 0.0 if read is None else 1.0)],
    )
    if read is None:
        return
    for queue in queues:
        read[WAIT].setdefault((queue,), Series())
        for outcome in OUTCOMES:
            read[RUN].setdefault((queue, outcome), Series())
    for histogram, series in read.items():
        yield from _family(
            histogram.name, "histogram", histogram.help, _histogram_samples(histogram, series)
        )


def metrics_text() -> str:
    """The whole exposition: the ledger's gauges, then the histograms from Redis."""
    gauges = selectors.queue_gauges()
    lines = [*_gauge_families(gauges), *_histogram_families(gauges.queues)]
    return "\n".join(lines) + "\n"
