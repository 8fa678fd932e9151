"""A real upload followed live: daphne serving the API and the WebSocket, a forking worker doing
the import, and a WebSocket client watching the job from submission to completion."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from websockets.sync.client import connect

from tests.conftest import Processes
from tests.uploads.files import MEMBER_HEADER, members, write_csv

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROWS = 10_000


def test_a_watcher_sees_an_upload_rise_to_completion(processes: Processes, tmp_path: Path) -> None:
    url = processes.server()
    user = User.objects.create_user("uploader")
    token = Token.objects.create(user=user).key
    path = tmp_path / "members.csv"
    write_csv(path, [MEMBER_HEADER, *members(ROWS)])

    with path.open("rb") as file:
        response = requests.post(
            f"{url}/api/v1/bulk-upload/process",
            headers={"Authorization": f"Token {token}"},
            files={"file": ("members.csv", file, "text/csv")},
            data={"import_type": "members"},
            timeout=30,
        )
    assert response.status_code == 202, response.text
    job_id = response.json()["data"]["job_id"]

    ws_url = url.replace("http://", "ws://") + f"/ws/jobs/?token={token}"
    with connect(ws_url, open_timeout=10) as ws:
        ws.send(json.dumps({"action": "subscribe", "job_id": job_id}))
        assert json.loads(ws.recv(timeout=10))["type"] == "subscribed"
        # Only now a worker: every step of the job happens while the client watches. The
        # throttle stretches the import over a few seconds, so several batches report.
        processes.worker(env={"UPLOAD_THROTTLE_ROWS_PER_SECOND": "4000"})
        seen = _messages_until(ws, "bulk_upload_complete")

    progress = [m["processed"] for m in seen if m["type"] == "bulk_upload_progress"]
    assert len(set(progress)) >= 2, seen
    assert progress == sorted(progress)
    statuses = [m["status"] for m in seen if m["type"] == "job_status"]
    assert statuses[0] in ("pending", "waiting")
    assert "active" in statuses
    final = [m for m in seen if m["type"] == "job_status"][-1]
    assert final["status"] == "completed"
    assert (final["progress"]["percent"], final["progress"]["processed"]) == (100, ROWS)
    complete = seen[-1]
    assert complete["job_id"] == job_id
    assert complete["stats"]["validation_stats"]["valid_rows"] == ROWS
    assert complete["stats"]["database_stats"]["created"] == ROWS


def _messages_until(ws: Any, kind: str, timeout: float = 90) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    while not seen or seen[-1]["type"] != kind:
        message = json.loads(ws.recv(timeout=timeout))
        assert message["type"] not in ("error", "bulk_upload_failed"), message
        seen.append(message)
    return seen
