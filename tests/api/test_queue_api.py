"""/api/v1/queue/: the envelope, each status code, and who may do what."""

from __future__ import annotations

import pytest

from jobs.models import JobStatus, QueueJob
from tests.contract import QUEUE_STAT_NAMES
from tests.factories import make_job, make_upload
from uploads.services import upload_create_from_records

pytestmark = pytest.mark.django_db(transaction=True)
JOBS = "/api/v1/queue/jobs"


def test_anonymous_gets_401_in_the_envelope(api) -> None:
    response = api["anonymous"].get(JOBS)
    assert response.status_code == 401
    assert response.json() == {
        "success": False,
        "error": {
            "code": "not_authenticated",
            "message": "Authentication credentials were not provided.",
        },
    }


def test_a_wrong_token_is_401(api) -> None:
    api["anonymous"].credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = api["anonymous"].get(JOBS)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_submit_queues_a_job_and_returns_it(api, users) -> None:
    response = api["alice"].post(JOBS, {"type": "system.noop", "data": {"n": 1}}, format="json")
    assert response.status_code == 202
    body = response.json()
    assert body["success"] is True
    job = body["data"]
    assert (job["type"], job["status"], job["priority"], job["created_by"]) == (
        "system.noop",
        "waiting",
        10,
        "alice",
    )
    assert job["data"] == {"n": 1}
    assert job["progress"] == {
        "percent": 0.0,
        "stage": "",
        "message": "",
        "processed": 0,
        "total": None,
    }
    assert job["created_at"].endswith("Z")
    assert len(job["created_at"].split(".")[1]) == 4  # milliseconds + Z


def test_batch_submission_creates_every_job(api) -> None:
    specs = [
        {"type": "system.noop", "batch_id": "b1"},
        {"type": "system.sleep", "data": {"seconds": 1}},
    ]
    response = api["operator"].post(JOBS, specs, format="json")
    assert response.status_code == 202
    assert [j["type"] for j in response.json()["data"]] == ["system.noop", "system.sleep"]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (
            {"type": "system.noop", "priority": 11},
            "priority: Ensure this value is less than or equal to 10.",
        ),
        ({"type": "system.noop", "data": [1]}, "data: Expected a dictionary of items"),
        ({"data": {}}, "type: This field is required."),
        ({"type": "nope"}, "unknown job type 'nope'"),
    ],
)
def test_invalid_submissions_are_400_naming_the_field(api, payload, message) -> None:
    response = api["operator"].post(JOBS, payload, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert response.json()["error"]["message"].startswith(message)
    assert not QueueJob.objects.exists()


def test_malformed_json_is_400(api) -> None:
    response = api["alice"].post(JOBS, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_request"


def test_a_role_may_lower_its_priority_but_not_raise_it(api) -> None:
    default = api["province"].post(JOBS, {"type": "system.noop"}, format="json")
    assert default.json()["data"]["priority"] == 5
    lower = api["province"].post(JOBS, {"type": "system.noop", "priority": 8}, format="json")
    assert lower.status_code == 202
    higher = api["province"].post(JOBS, {"type": "system.noop", "priority": 2}, format="json")
    assert higher.status_code == 403
    assert higher.json()["error"]["message"] == (
        "priority 2 is above what your role allows: use 5 to 10"
    )


def test_a_full_queue_is_429_and_creates_nothing(api, settings) -> None:
    settings.QUEUE_MAX_WAITING = {"*": 1}
    assert api["alice"].post(JOBS, {"type": "system.noop"}, format="json").status_code == 202
    response = api["alice"].post(JOBS, {"type": "system.noop"}, format="json")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "queue_full"
    assert response["Retry-After"] == "30"
    assert QueueJob.objects.count() == 1


def test_plain_users_list_only_their_own_jobs_staff_list_all(api, users) -> None:
    mine = make_job(created_by=users["alice"])
    make_job(created_by=users["bob"])
    own = api["alice"].get(JOBS).json()["data"]["results"]
    assert [j["id"] for j in own] == [str(mine.pk)]
    assert len(api["viewer"].get(JOBS).json()["data"]["results"]) == 2


def test_list_filters_and_pages_with_a_cursor(api, users) -> None:
    for status in ["failed", "failed", "completed"]:
        make_job(status=status, created_by=users["alice"])
    page = api["alice"].get(JOBS, {"status": "failed", "limit": 1}).json()["data"]
    assert len(page["results"]) == 1
    assert page["results"][0]["status"] == "failed"
    following = api["alice"].get(page["next"]).json()["data"]
    assert len(following["results"]) == 1
    assert following["next"] is None
    assert following["results"][0]["id"] != page["results"][0]["id"]


def test_someone_elses_job_is_404_for_a_plain_user_and_visible_to_staff(api, users) -> None:
    job = make_job(created_by=users["bob"])
    assert api["alice"].get(f"{JOBS}/{job.pk}").status_code == 404
    assert api["alice"].post(f"{JOBS}/{job.pk}/cancel").status_code == 404
    assert api["viewer"].get(f"{JOBS}/{job.pk}").json()["data"]["id"] == str(job.pk)


def test_owner_cancels_a_waiting_job(api, users) -> None:
    job = api["alice"].post(JOBS, {"type": "system.noop"}, format="json").json()["data"]
    response = api["alice"].post(f"{JOBS}/{job['id']}/cancel")
    assert response.status_code == 200
    assert response.json()["data"]["status"] == "cancelled"


def test_cancel_in_the_wrong_state_is_409_naming_the_status(api, users) -> None:
    job = make_job(status=JobStatus.COMPLETED, created_by=users["alice"])
    response = api["alice"].post(f"{JOBS}/{job.pk}/cancel")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "invalid_state"
    assert error["message"].startswith("cannot cancel a job that is completed")
    assert error["details"]["status"] == "completed"


def test_viewers_may_not_act_operators_may(api, users) -> None:
    job = make_job(status=JobStatus.FAILED, created_by=users["bob"])
    assert api["viewer"].post(f"{JOBS}/{job.pk}/retry").status_code == 403
    response = api["operator"].post(f"{JOBS}/{job.pk}/retry")
    assert response.status_code == 202
    assert response.json()["data"]["status"] == "waiting"


def test_bulk_retry_is_for_operators(api, users) -> None:
    make_job(status=JobStatus.FAILED, type="system.fail")
    make_job(status=JobStatus.FAILED, type="system.noop")
    assert api["alice"].post("/api/v1/queue/retry-failed", {}, format="json").status_code == 403
    response = api["operator"].post(
        "/api/v1/queue/retry-failed", {"type": "system.fail"}, format="json"
    )
    assert response.status_code == 202
    assert response.json()["data"] == {"retried": 1}


def test_bulk_cancel_and_clear_completed(api) -> None:
    make_job(status=JobStatus.PENDING)
    make_job(status=JobStatus.COMPLETED, completed_at=make_job().created_at)
    everything = {"all": True}
    cancelled = api["operator"].post("/api/v1/queue/cancel", everything, format="json")
    assert cancelled.json()["data"] == {"cancelled": 2}
    cleared = api["operator"].delete("/api/v1/queue/clear-completed")
    assert cleared.json()["data"] == {"deleted": 1}


def test_search_finds_a_job_by_its_full_id_and_its_first_8_characters(api, users) -> None:
    job = make_job(created_by=users["alice"])
    make_job(created_by=users["alice"])
    for text in (str(job.pk), str(job.pk)[:8]):
        listed = api["alice"].get(JOBS, {"search": text}).json()["data"]["results"]
        assert [j["id"] for j in listed] == [str(job.pk)]


def test_search_finds_a_job_by_its_upload_file_name(api, users) -> None:
    job = make_job(type="uploads.import", created_by=users["alice"])
    make_job(type="uploads.import", created_by=users["alice"])
    make_upload(original_name="branch-members.csv", job=job, uploaded_by=users["alice"])
    listed = api["alice"].get(JOBS, {"search": "branch-members"}).json()["data"]["results"]
    assert [j["id"] for j in listed] == [str(job.pk)]


@pytest.mark.parametrize(
    ("field", "value", "allowed"),
    [
        ("status", "bogus", "allowed: pending, scheduled, waiting, active, completed, failed"),
        ("queue", "nope", "allowed: uploads, default"),
        ("type", "nope", "system.noop"),
        ("source", "nope", "allowed: api, upload, admin, dashboard, schedule, cli"),
    ],
)
def test_an_unknown_filter_value_is_400_naming_the_field_and_the_allowed_values(  # type: ignore[no-untyped-def]
    api, field, value, allowed
) -> None:
    response = api["operator"].get(JOBS, {field: value})
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert message.startswith(f"{field}: unknown value '{value}'")
    assert allowed in message


def test_bulk_cancel_takes_the_list_filters_as_text(api) -> None:
    scheduled = make_job(status=JobStatus.SCHEDULED)
    waiting = make_job(status=JobStatus.WAITING)
    pending = make_job(status=JobStatus.PENDING)
    response = api["operator"].post(
        "/api/v1/queue/cancel", {"status": "scheduled, waiting"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["data"] == {"cancelled": 2}
    statuses = dict(QueueJob.objects.values_list("pk", "status"))
    assert statuses[scheduled.pk] == statuses[waiting.pk] == "cancelled"
    assert statuses[pending.pk] == "pending"


def test_bulk_retry_takes_the_list_filters_as_text(api, users) -> None:
    mine = make_job(status=JobStatus.FAILED, created_by=users["alice"], priority=7)
    make_job(status=JobStatus.FAILED, created_by=users["bob"], priority=7)
    wanted = {"created_by": "alice", "priority": 7, "search": str(mine.pk)[:8]}
    response = api["operator"].post("/api/v1/queue/retry-failed", wanted, format="json")
    assert response.json()["data"] == {"retried": 1}


@pytest.mark.parametrize("path", ["/api/v1/queue/cancel", "/api/v1/queue/retry-failed"])
def test_a_bulk_action_without_a_filter_is_400_unless_all_is_true(api, path) -> None:  # type: ignore[no-untyped-def]
    make_job(status=JobStatus.PENDING)
    make_job(status=JobStatus.FAILED)
    for body in ({}, {"all": False}, {"status": ""}):
        refused = api["operator"].post(path, body, format="json")
        assert refused.status_code == 400
        assert refused.json()["error"]["message"] == (
            'all: no filter given: to act on every job, send "all": true'
        )
    assert QueueJob.objects.filter(status__in=["cancelled", "waiting"]).count() == 0
    assert api["operator"].post(path, {"all": True}, format="json").json()["data"] in (
        {"cancelled": 1},
        {"retried": 1},
    )


def test_a_bulk_action_refuses_an_unknown_filter_or_value(api) -> None:
    make_job(status=JobStatus.PENDING)
    misspelt = api["operator"].post("/api/v1/queue/cancel", {"stauts": "pending"}, format="json")
    assert misspelt.status_code == 400
    assert misspelt.json()["error"]["message"].startswith("stauts: not a filter; filters: status")
    bogus = api["operator"].post("/api/v1/queue/cancel", {"status": "bogus"}, format="json")
    assert bogus.status_code == 400
    assert bogus.json()["error"]["message"].startswith("status: unknown value 'bogus'")
    assert QueueJob.objects.get().status == "pending"


def test_delete_refuses_an_active_job(api, users) -> None:
    active = make_job(status=JobStatus.ACTIVE, created_by=users["alice"])
    done = make_job(status=JobStatus.COMPLETED, created_by=users["alice"])
    assert api["alice"].delete(f"{JOBS}/{active.pk}").status_code == 409
    assert api["alice"].delete(f"{JOBS}/{done.pk}").status_code == 200
    assert not QueueJob.objects.filter(pk=done.pk).exists()


def test_stats_workers_and_metrics(api) -> None:
    make_job(status=JobStatus.FAILED)
    stats = api["viewer"].get("/api/v1/queue/stats").json()["data"]
    assert stats["failed"] == 1
    assert set(stats) >= {*QUEUE_STAT_NAMES, "queues"}
    assert api["viewer"].get("/api/v1/queue/workers").json()["data"] == []
    assert api["viewer"].get("/api/v1/queue/metrics?queue=default").status_code == 200
    bad = api["viewer"].get("/api/v1/queue/metrics?since=yesterday")
    assert bad.status_code == 400
    assert bad.json()["error"]["message"] == "since: must be an ISO 8601 time"


def test_pause_and_resume_a_queue(api) -> None:
    assert api["viewer"].post("/api/v1/queue/uploads/pause").status_code == 403
    paused = api["operator"].post("/api/v1/queue/uploads/pause")
    assert paused.json() == {
        "success": True,
        "message": "queue uploads paused",
        "data": {"queue": "uploads", "paused": True},
    }
    assert api["operator"].post("/api/v1/queue/uploads/resume").json()["data"]["paused"] is False
    unknown = api["operator"].post("/api/v1/queue/nope/pause")
    assert unknown.status_code == 400
    assert unknown.json()["error"]["message"].startswith("unknown queue 'nope'")


def test_schema_and_self_hosted_docs(api) -> None:
    schema = api["anonymous"].get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/queue/jobs" in schema.content
    docs = api["anonymous"].get("/api/docs/").content.decode()
    assert "swagger-ui" in docs
    assert "cdn." not in docs


@pytest.mark.parametrize(
    "path", ["/api/v1/queue/jobs/not-a-uuid", "/api/v1/bulk-upload/status/null,null"]
)
def test_an_id_that_is_not_a_uuid_is_404_in_the_envelope(api, path) -> None:
    response = api["operator"].get(path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_cursor_that_is_not_ours_is_400_naming_it(api) -> None:
    response = api["operator"].get(f"{JOBS}?cursor=garbage")
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("cursor: not a cursor")


@pytest.mark.parametrize(
    ("method", "path", "payload"),
    [
        ("delete", "/api/v1/queue/clear-completed?older_than_hours=1e300", None),
        ("post", "/api/v1/bulk-upload/queue/clean", {"gracePeriodHours": 1e300}),
    ],
)
def test_an_absurd_age_is_400_not_a_crash(api, method, path, payload) -> None:
    response = getattr(api["operator"], method)(path, payload, format="json")
    assert response.status_code == 400
    assert "less than or equal to 878400" in response.json()["error"]["message"]


def test_jobs_without_a_creator_list_with_created_by_null(api) -> None:
    make_job(status=JobStatus.COMPLETED)
    listed = api["operator"].get(JOBS).json()["data"]["results"]
    assert [job["created_by"] for job in listed] == [None]


def test_items_lists_but_does_not_take_submissions(api) -> None:
    assert api["operator"].get("/api/v1/queue/items").status_code == 200
    refused = api["operator"].post("/api/v1/queue/items", {"type": "system.noop"}, format="json")
    assert refused.status_code == 405


def test_times_with_any_iso_offset_filter_the_list(api) -> None:
    # PostgreSQL itself refuses offsets past +-15:59; the API compares instants in UTC.
    make_job(status=JobStatus.COMPLETED)
    query = "created_after=2000-01-01T00:00:00%2B19:44&created_before=9000-01-01T00:00:00-23:59"
    response = api["operator"].get(f"{JOBS}?{query}")
    assert response.status_code == 200
    assert len(response.json()["data"]["results"]) == 1


def test_a_time_that_is_out_of_range_in_utc_is_400(api) -> None:
    jobs = api["operator"].get(f"{JOBS}?created_after=0001-01-01T00:00:00%2B05:00")
    assert jobs.status_code == 400
    metrics = api["operator"].get("/api/v1/queue/metrics?since=0001-01-01T00:00:00%2B05:00")
    assert metrics.json()["error"]["message"] == "since: this time is out of range"


@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_an_unknown_api_path_is_a_404_in_the_envelope(api, method: str) -> None:  # type: ignore[no-untyped-def]
    response = getattr(api["anonymous"], method)("/api/v1/queue/no-such-thing")
    assert response.status_code == 404
    assert response.json() == {
        "success": False,
        "error": {"code": "not_found", "message": "no API endpoint at /api/v1/queue/no-such-thing"},
    }


def test_a_batch_larger_than_job_batch_max_is_refused_whole(api, settings) -> None:  # type: ignore[no-untyped-def]
    settings.JOB_BATCH_MAX = 3
    response = api["alice"].post("/api/v1/queue/jobs", [{"type": "system.noop"}] * 4, format="json")
    assert response.status_code == 400
    assert "3" in response.json()["error"]["message"]
    assert QueueJob.objects.count() == 0


def test_an_internal_job_type_is_refused_to_clients(api, users) -> None:
    upload = upload_create_from_records(
        records=[{"imei": "490154203237518"}], import_type="devices", uploaded_by=users["bob"]
    )
    before = QueueJob.objects.count()
    response = api["alice"].post(
        JOBS, {"type": "uploads.import", "data": {"upload_id": str(upload.pk)}}, format="json"
    )
    assert response.status_code == 400
    assert "'uploads.import' is internal" in response.json()["error"]["message"]
    assert QueueJob.objects.count() == before


def test_an_internal_job_type_is_refused_in_a_batch_even_to_operators(api) -> None:
    batch = [{"type": "system.noop", "data": {}}, {"type": "uploads.import", "data": {}}]
    response = api["operator"].post(JOBS, batch, format="json")
    assert response.status_code == 400
    assert "job 1: job type 'uploads.import' is internal" in response.json()["error"]["message"]
    assert not QueueJob.objects.exists()
