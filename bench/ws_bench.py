"""Live-progress delivery latency: from a worker-like process's publish to each WebSocket client's
receive, with 1, 10 and 100 clients subscribed to one job (goal: p99 <= 100 ms at 100 clients).

Ours: the publishing process calls jobs.live.job_publish (the path a work horse's progress
takes: channels-redis group_send from its long-lived publisher), daphne's consumers forward the
snapshot, the clients (one asyncio process, `websockets`) stamp its arrival.
Baseline, side by side: the same payloads over bare Redis pub/sub to the same number of
subscribers, i.e. the Redis round trip alone. Both publishers run in their own process, one
message every --interval seconds (above the per-job throttle, so nothing is coalesced).

    .venv/bin/python bench/ws_bench.py [--clients 1,10,100] [--messages 60] [--interval 0.3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BASELINE_CHANNEL = "bench:ws:baseline"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="1,10,100")
    parser.add_argument("--messages", type=int, default=60)
    parser.add_argument("--interval", type=float, default=0.3)
    parser.add_argument("--publish", choices=["ours", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--job", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.publish:
        publish(args.publish, job_id=args.job, messages=args.messages, interval=args.interval)
        return
    with tempfile.TemporaryDirectory(prefix="qp-ws-bench-") as tmp:
        run(Path(tmp), [int(n) for n in args.clients.split(",")], args.messages, args.interval)


def run(tmp: Path, client_counts: list[int], messages: int, interval: float) -> None:
    from bench.common import setup_environment, start_server

    server = setup_environment(tmp)
    daphne = None
    try:
        token, job_id = make_watcher_and_job()
        port, daphne = start_server(tmp, module="daphne")
        ws_url = f"ws://127.0.0.1:{port}/ws/jobs/?token={token}"
        print(f"{messages} messages per run, one every {interval:.2f} s\n")
        print(f"{'clients':>7} | {'ours p50':>9} {'ours p99':>9} | {'base p50':>9} {'base p99':>9}")
        for count in client_counts:
            ours = asyncio.run(measure_ours(ws_url, job_id, count, messages, interval))
            base = asyncio.run(measure_baseline(count, messages, interval))
            print(
                f"{count:>7} | {ours[0]:>6.1f} ms {ours[1]:>6.1f} ms | "
                f"{base[0]:>6.1f} ms {base[1]:>6.1f} ms   (p99 {ours[1] / base[1]:.1f}x base)"
            )
        print("\ngoal: ours p99 <= 100 ms at 100 clients")
    finally:
        if daphne is not None:
            daphne.terminate()
            daphne.wait(timeout=10)
        if server is not None:
            server.stop()


def make_watcher_and_job() -> tuple[str, str]:
    from django.contrib.auth.models import User
    from rest_framework.authtoken.models import Token

    from jobs.models import JobStatus, QueueJob

    user = User.objects.create_user("bench-watcher")
    job = QueueJob.objects.create(
        type="system.noop", queue="default", status=JobStatus.ACTIVE, created_by=user
    )
    return Token.objects.create(user=user).key, str(job.pk)


def publisher_process(
    kind: str, messages: int, interval: float, job_id: str = ""
) -> subprocess.Popen[bytes]:
    argv = [
        sys.executable,
        __file__,
        "--publish",
        kind,
        "--messages",
        str(messages),
        "--interval",
        str(interval),
        "--job",
        job_id,
    ]
    return subprocess.Popen(argv, cwd=ROOT, env=os.environ.copy())


def publish(kind: str, *, job_id: str | None, messages: int, interval: float) -> None:
    """The publishing side, in a process of its own like a worker."""
    import django

    django.setup()
    if kind == "baseline":
        from queueproject.redis_client import get_redis

        redis = get_redis()
        for n in range(messages):
            redis.publish(BASELINE_CHANNEL, json.dumps({"n": n, "sent": time.time()}))
            time.sleep(interval)
        return
    from jobs.live import job_publish, publisher_drain
    from jobs.models import QueueJob

    job = QueueJob.objects.get(pk=job_id)
    for n in range(messages):
        job.progress_processed = n
        job.progress_message = repr(time.time())
        job_publish(job, progress_only=True)
        time.sleep(interval)
    publisher_drain(timeout=5)


async def measure_ours(
    url: str, job_id: str, count: int, messages: int, interval: float
) -> tuple[float, float]:
    from websockets.asyncio.client import connect

    sockets = [await connect(url, open_timeout=30, max_queue=None) for _ in range(count)]
    for ws in sockets:
        await ws.send(json.dumps({"action": "subscribe", "job_id": job_id}))
        while json.loads(await ws.recv())["type"] != "job_status":
            pass  # "subscribed", then the snapshot

    async def collect(ws) -> list[float]:  # type: ignore[no-untyped-def]
        latencies = []
        while len(latencies) < messages:
            message = json.loads(await ws.recv())
            if message.get("type") == "job_status":
                latencies.append(time.time() - float(message["progress"]["message"]))
        return latencies

    publisher = publisher_process("ours", messages, interval, job_id)
    try:
        timeout = messages * interval + 60
        results = await asyncio.wait_for(asyncio.gather(*map(collect, sockets)), timeout)
    finally:
        publisher.wait()
        for ws in sockets:
            await ws.close()
    return percentiles([x for r in results for x in r])


async def measure_baseline(count: int, messages: int, interval: float) -> tuple[float, float]:
    import redis.asyncio as aioredis

    url = os.environ["REDIS_URL"]
    clients = [aioredis.Redis.from_url(url) for _ in range(count)]
    subscriptions = [client.pubsub() for client in clients]
    for pubsub in subscriptions:
        await pubsub.subscribe(BASELINE_CHANNEL)
        await pubsub.get_message(timeout=5)  # the subscribe confirmation

    async def collect(pubsub) -> list[float]:  # type: ignore[no-untyped-def]
        latencies: list[float] = []
        while len(latencies) < messages:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=30)
            if message is not None:
                latencies.append(time.time() - json.loads(message["data"])["sent"])
        return latencies

    publisher = publisher_process("baseline", messages, interval)
    try:
        results = await asyncio.gather(*map(collect, subscriptions))
    finally:
        publisher.wait()
        for pubsub, client in zip(subscriptions, clients, strict=True):
            await pubsub.aclose()
            await client.aclose()
    return percentiles([x for r in results for x in r])


def percentiles(latencies: list[float]) -> tuple[float, float]:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered) * 1000, p99 * 1000


if __name__ == "__main__":
    main()
