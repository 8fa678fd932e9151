"""The seed-000 endpoint names work on the same services."""

from __future__ import annotations

import pytest
from rq import Queue

from jobs.models import JobStatus
from queueproject.redis_client import get_redis

pytestmark = pytest.mark.django_db(transaction=True)
Q = "/api/v1/queue"


def submit(api, priority: int) -> str:
    body = {"type": "system.noop", "priority": priority}
    return api["operator"].post(f"{Q}/jobs", body, format="json").json()["data"]["id"]


def front() -> list[str]:
    return Queue("default.p01", connection=get_redis()).get_job_ids()


def test_process_next_moves_the_next_waiting_job_to_the_front(api) -> None:
    urgent_later = submit(api, 5)
    submit(api, 7)
    response = api["operator"].post(f"{Q}/process-next")
    assert response.json()["data"]["id"] == urgent_later
    assert front() == [urgent_later]


def test_process_batch_keeps_the_order_of_the_next_jobs(api) -> None:
    ids = [submit(api, p) for p in (9, 5, 6)]
    response = api["operator"].post(f"{Q}/process-batch", {"size": 2}, format="json")
    assert [j["id"] for j in response.json()["data"]] == [ids[1], ids[2]]
    assert front() == [ids[1], ids[2]]


def test_process_next_with_nothing_waiting(api) -> None:
    response = api["operator"].post(f"{Q}/process-next")
    assert response.json() == {"success": True, "message": "no waiting job", "data": None}


def test_items_lists_jobs_by_status(api, users) -> None:
    submit(api, 5)
    items = api["operator"].get(f"{Q}/items", {"status": JobStatus.WAITING}).json()["data"]
    assert len(items["results"]) == 1


def test_worker_stop_start_and_status(api) -> None:
    assert api["viewer"].post(f"{Q}/worker/stop").status_code == 403
    assert api["operator"].post(f"{Q}/worker/stop").json()["data"] == {"suspended": True}
    status = api["viewer"].get(f"{Q}/worker/status").json()["data"]
    assert status == {"suspended": True, "workers": []}
    job = submit(api, 5)
    assert api["operator"].get(f"{Q}/jobs/{job}").json()["data"]["status"] == "pending"
    api["operator"].post(f"{Q}/worker/start")
    assert api["viewer"].get(f"{Q}/worker/status").json()["data"]["suspended"] is False
    assert api["operator"].get(f"{Q}/jobs/{job}").json()["data"]["status"] == "waiting"
