"""The JavaScript client (dashboard/static/dashboard/live.js) run by Node against a real server:
it subscribes, delivers messages to its callbacks, and after the server goes away it reconnects
and subscribes again on its own."""

from __future__ import annotations

import json
import queue
import shutil
import subprocess
import threading
from typing import Any

import pytest
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token

from jobs.models import JobStatus
from jobs.services.control import job_cancel
from tests.conftest import ROOT, Processes
from tests.factories import make_job

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

NODE = shutil.which("node")
SCRIPT = """
const QueueLive = require(process.argv[1]);
const live = new QueueLive({url: process.argv[2], token: process.argv[3], minDelay: 100});
live.onstate = (state) => console.log(JSON.stringify({type: "_state", state}));
live.on("*", (message) => console.log(JSON.stringify(message)));
live.subscribe(process.argv[4]);
"""


class NodeClient:
    def __init__(self, *argv: str) -> None:
        self.process = subprocess.Popen(
            [NODE or "node", "--experimental-websocket", "--no-warnings", "-e", SCRIPT, *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            try:
                self.lines.put(json.loads(line))
            except ValueError:
                self.lines.put({"type": "_output", "line": line})

    def wait_for(self, **expected: Any) -> dict[str, Any]:
        seen = []
        while True:
            try:
                message = self.lines.get(timeout=30)
            except queue.Empty:
                raise AssertionError(f"no message like {expected}; saw {seen}") from None
            seen.append(message)
            if all(message.get(k) == v for k, v in expected.items()):
                return message

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_client_follows_a_job_and_resubscribes_after_the_server_restarts(
    processes: Processes,
) -> None:
    url = processes.server()
    user = User.objects.create_user("watcher")
    token = Token.objects.create(user=user).key
    job = make_job(created_by=user, status=JobStatus.PENDING)
    live_js = str(ROOT / "dashboard" / "static" / "dashboard" / "live.js")
    ws_url = url.replace("http://", "ws://") + "/ws/jobs/"
    client = NodeClient(live_js, ws_url, token, str(job.pk))
    try:
        client.wait_for(type="subscribed", job_id=str(job.pk))
        client.wait_for(type="job_status", status="pending")

        daphne = processes.started[-1]
        daphne.terminate()
        daphne.wait(timeout=10)
        client.wait_for(type="_state", state="closed")
        job_cancel(job=job, actor=None)  # changed while the client was cut off
        processes.server(port=int(url.rsplit(":", 1)[1]))

        client.wait_for(type="_state", state="open")
        client.wait_for(type="subscribed", job_id=str(job.pk))
        client.wait_for(type="job_status", status="cancelled")
    finally:
        client.stop()


def test_client_source_is_served_as_a_static_file(client: Any) -> None:
    response = client.get("/static/dashboard/live.js")
    assert response.status_code == 200
    assert b"QueueLive.prototype.subscribe" in b"".join(response.streaming_content)
