"""Queue benchmark: this engine against bare RQ on the same Redis, side by side.

    .venv/bin/python bench/queue_bench.py [--jobs 400] [--workers 2] [--rounds 3] [--latency 200]

1. Latency: system.noop jobs submitted one at a time to idle workers; submission-to-start is the
   job's started_at minus its created_at (the row is created before the commit, so this includes
   insert, commit, dispatch, dequeue, fork and the claim). Bare RQ's enqueue-to-start is printed
   beside it for reference.
2. Throughput: a batch of noop jobs through W forking workers of each kind (this engine's
   LedgerWorker, RQ's Worker), in alternating rounds; the ratio of the medians is the figure.

Uses DATABASE_URL and REDIS_URL when set (Redis database 14 is flushed), otherwise SQLite and an
embedded Redis in a temporary directory. DEBUG follows the environment (on by default, as in
development: Django then logs every query, and on SQLite runs a QUOTE() query per statement to do
so); `DEBUG=0 SECRET_KEY=...` measures the engine as production runs it. Prints figures only;
asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import setup_environment  # noqa: E402


def start_workers(kind: str, count: int) -> list[subprocess.Popen[bytes]]:
    url = os.environ["REDIS_URL"]
    if kind == "engine":
        argv = [sys.executable, "manage.py", "rqworker", "default.p05", "-v", "0"]
    else:
        argv = [
            sys.executable,
            "-m",
            "rq.cli",
            "worker",
            "-u",
            url,
            "-q",
            "--path",
            str(ROOT),
            "bare",
        ]
    procs = []
    for n in range(count):
        name = ["--name", f"bench-{kind}-{os.getpid()}-{n}"]
        procs.append(
            subprocess.Popen(
                [*argv, *name], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        )
    return procs


def stop_workers(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        proc.wait(timeout=30)


def wait_for_workers(kind: str, count: int) -> None:
    from rq import Worker

    from queueproject.redis_client import get_redis

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        names = [w.name for w in Worker.all(connection=get_redis())]
        if sum(1 for name in names if name.startswith(f"bench-{kind}-")) >= count:
            return
        time.sleep(0.1)
    raise SystemExit(f"{kind} workers did not start")


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def engine_latency(n: int) -> list[float]:
    from jobs.models import JobStatus, QueueJob
    from jobs.services import JobSpec, job_submit

    samples = []
    for _ in range(n):
        job = job_submit(spec=JobSpec(type="system.noop"))
        while not QueueJob.objects.filter(pk=job.pk, status=JobStatus.COMPLETED).exists():
            time.sleep(0.002)
        job.refresh_from_db()
        assert job.started_at is not None
        samples.append((job.started_at - job.created_at).total_seconds() * 1000)
    return samples


def bare_latency(n: int) -> list[float]:
    from rq import Queue

    from queueproject.redis_client import get_redis

    queue = Queue("bare", connection=get_redis())
    samples = []
    for _ in range(n):
        job = queue.enqueue("bench.bare.noop", result_ttl=600)
        while job.get_status(refresh=True) != "finished":
            time.sleep(0.002)
        job.refresh()
        assert job.started_at is not None
        assert job.enqueued_at is not None
        samples.append((job.started_at - job.enqueued_at).total_seconds() * 1000)
    return samples


def engine_throughput(n: int) -> float:
    from jobs.models import JobStatus, QueueJob
    from jobs.services import JobSpec, job_submit_batch

    QueueJob.objects.all().delete()
    began = time.perf_counter()
    job_submit_batch(specs=[JobSpec(type="system.noop")] * n)
    while QueueJob.objects.filter(status=JobStatus.COMPLETED).count() < n:
        time.sleep(0.01)
    return n / (time.perf_counter() - began)


def bare_throughput(n: int) -> float:
    from rq import Queue
    from rq.registry import FinishedJobRegistry

    from queueproject.redis_client import get_redis

    queue = Queue("bare", connection=get_redis())
    registry = FinishedJobRegistry(queue=queue)
    for job_id in registry.get_job_ids():
        registry.remove(job_id, delete_job=True)
    began = time.perf_counter()
    with get_redis().pipeline() as pipe:
        for _ in range(n):
            queue.enqueue_call("bench.bare.noop", result_ttl=600, pipeline=pipe)
        pipe.execute()
    while registry.count < n:
        time.sleep(0.01)
    return n / (time.perf_counter() - began)


def measure(kind: str, workers: int, fn, *args):  # type: ignore[no-untyped-def]
    procs = start_workers(kind, workers)
    try:
        wait_for_workers(kind, workers)
        return fn(*args)
    finally:
        stop_workers(procs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=400)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--latency", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="qp-bench-") as tmp:
        server = setup_environment(Path(tmp))
        from django.conf import settings

        print(
            f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, "
            f"redis: {'embedded' if server else 'REDIS_URL db 14'}, workers: {args.workers}, "
            f"DEBUG {'on' if settings.DEBUG else 'off'}"
        )
        lat = measure("engine", 1, engine_latency, args.latency)
        base = measure("bare", 1, bare_latency, args.latency)
        print(f"latency submission->start, {args.latency} jobs one by one, 1 idle worker:")
        print(f"  engine   p50 {percentile(lat, 50):6.1f} ms   p99 {percentile(lat, 99):6.1f} ms")
        print(
            f"  bare RQ  p50 {percentile(base, 50):6.1f} ms   p99 {percentile(base, 99):6.1f} ms "
            "(enqueue->start, reference)"
        )
        engine, bare = [], []
        for round_ in range(1, args.rounds + 1):
            engine.append(measure("engine", args.workers, engine_throughput, args.jobs))
            bare.append(measure("bare", args.workers, bare_throughput, args.jobs))
            print(
                f"  round {round_}: engine {engine[-1]:7.1f} jobs/s, bare RQ {bare[-1]:7.1f} jobs/s"
            )
        ratio = statistics.median(engine) / statistics.median(bare)
        print(
            f"throughput, {args.jobs} noop jobs, {args.workers} forking workers each, "
            f"median of {args.rounds} alternating rounds:"
        )
        print(
            f"  engine {statistics.median(engine):.1f} jobs/s, bare RQ "
            f"{statistics.median(bare):.1f} jobs/s, ratio {ratio:.2f}"
        )
        if server is not None:
            server.stop()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
