"""Redis stopped and started again empty while clients submit: every submission is accepted and
recorded, nothing is a 500, the workers ride the outage out, and every job completes."""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from jobs.models import JobStatus, QueueJob
from queueproject.embedded_redis import EmbeddedRedis
from queueproject.websocket import CLOSE_TRY_AGAIN_LATER
from tests.conftest import Processes, wait_until
from tests.reliability.conftest import api_client
from uploads.models import Device

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
OUTAGE_SECONDS = 10


def _submit(client, n: int, kind: str = "system.noop", **data) -> list[str]:  # type: ignore[no-untyped-def]
    ids = []
    for i in range(n):
        body = {"type": kind, "data": {"i": i, **data}}
        status, answer = client.request("POST", "/queue/jobs", body)
        assert status == 202, answer
        ids.append(answer["data"]["id"])
    return ids


def test_submissions_during_a_redis_outage_are_accepted_and_all_complete(
    own_processes: Processes, own_redis: EmbeddedRedis, tmp_path: Path
) -> None:
    env = {"MEDIA_ROOT": str(tmp_path / "media")}
    base = own_processes.server(env=env)
    workers = [own_processes.worker(f"w{i}", env=env) for i in (1, 2)]
    own_processes.maintenance(env=env)
    client = api_client(base)
    before = _submit(client, 10)
    wait_until(lambda: _done(before), 60, what=f"jobs before the outage\n{own_processes.logs()}")
    busy = _submit(client, 4, "system.sleep", seconds=2)  # running or waiting at the outage
    wait_until(lambda: _active(busy) == 2, 30, what="both workers busy")

    own_redis.stop()
    assert _websocket_refusal(base, client.token) == (CLOSE_TRY_AGAIN_LATER, "unavailable")
    during = [*_submit(client, 20), _upload(client)]
    statuses = set(QueueJob.objects.filter(pk__in=during).values_list("status", flat=True))
    assert statuses == {JobStatus.PENDING}
    status, _ = client.request("GET", "/queue/jobs?status=pending&limit=50")
    assert status == 200
    time.sleep(OUTAGE_SECONDS)  # an outage the workers must ride out
    assert [w.poll() for w in workers] == [None, None], own_processes.logs()

    own_redis.start(tie_to_parent=True)  # empty: nothing survived in Redis
    back = time.monotonic()
    wait_until(lambda: _done(during + busy), 90, what=f"jobs of the outage\n{own_processes.logs()}")
    recovery = time.monotonic() - back
    print(f"recovery: the outage's {len(during + busy)} jobs done {recovery:.1f} s after Redis")
    assert [w.poll() for w in workers] == [None, None], own_processes.logs()
    assert client.server_errors() == []
    assert QueueJob.objects.filter(status=JobStatus.COMPLETED).count() == 35
    assert Device.objects.count() == 1


def _upload(client) -> str:  # type: ignore[no-untyped-def]
    records = {"import_type": "devices", "records": [{"imei": "490154203237518"}]}
    status, answer = client.request("POST", "/bulk-upload/process", records)
    assert status == 202, answer
    assert answer["data"]["status"] == JobStatus.PENDING
    return str(answer["data"]["job_id"])


def _websocket_refusal(base: str, token: str) -> tuple[int | None, str]:
    """The close code and error code of a handshake to /ws/jobs/ (it must not be an HTTP 500)."""
    url = f"{base.replace('http', 'ws', 1)}/ws/jobs/?token={token}"
    with connect(url, open_timeout=10) as socket:
        message = json.loads(socket.recv(timeout=10))
        with contextlib.suppress(ConnectionClosed):
            socket.recv(timeout=10)
    return socket.close_code, message["code"]


def _done(ids: list[str]) -> bool:
    return QueueJob.objects.filter(pk__in=ids, status=JobStatus.COMPLETED).count() == len(ids)


def _active(ids: list[str]) -> int:
    return QueueJob.objects.filter(pk__in=ids, status=JobStatus.ACTIVE).count()
