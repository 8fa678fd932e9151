"""A dry run previews what its import would do against the stored rows; confirming it queues the
import as a new job, and the dry run stays reachable by its own job id."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from jobs import runner
from jobs.models import QueueJob
from tests.uploads.files import MEMBER_HEADER, members, write_csv
from uploads.live import upload_messages
from uploads.models import Member

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("media_root")]
BASE = "/api/v1/bulk-upload"


def csv_upload(tmp_path: Path, rows: list[list[Any]], name: str = "members.csv") -> io.BytesIO:
    data = io.BytesIO(write_csv(tmp_path / name, [MEMBER_HEADER, *rows]).read_bytes())
    data.name = name
    return data


def submit(client, tmp_path: Path, rows: list[list[Any]], **fields: object) -> str:  # type: ignore[no-untyped-def]
    response = client.post(
        f"{BASE}/process",
        {"file": csv_upload(tmp_path, rows), "import_type": "members", **fields},
        format="multipart",
    )
    assert response.status_code == 202, response.json()
    return str(response.json()["data"]["job_id"])


def status_of(client, job_id: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = client.get(f"{BASE}/status/{job_id}")
    assert response.status_code == 200, response.json()
    return dict(response.json()["data"])


def imported(client, tmp_path: Path, rows: list[list[Any]]) -> None:  # type: ignore[no-untyped-def]
    runner.execute(submit(client, tmp_path, rows))


@pytest.fixture
def stored_and_new(api, tmp_path: Path) -> list[list[Any]]:
    """Six rows: two stored as they are, one stored with another surname, two new, one bad."""
    rows = members(5)
    imported(api["alice"], tmp_path, [list(row) for row in rows[:3]])
    rows[2][2] = "Renamed"
    bad = members(1, start=700)[0]
    bad[5] = "Atlantis"
    return [*rows, bad]


def test_a_dry_run_says_what_the_import_would_do_and_writes_nothing(
    api, tmp_path: Path, stored_and_new
) -> None:
    before = dict(Member.objects.values_list("id_number", "last_name"))
    dry = submit(api["alice"], tmp_path, stored_and_new, dry_run="true")
    runner.execute(dry)
    status = status_of(api["alice"], dry)
    assert status["dry_run"] is True
    assert status["status"] == "completed"
    assert status["database_stats"] == {"created": 2, "updated": 1, "unchanged": 2, "failed": 0}
    assert status["validation_stats"]["invalid_rows"] == 1
    assert status["confirmed_job_id"] is None
    assert dict(Member.objects.values_list("id_number", "last_name")) == before


def test_the_live_message_of_a_dry_run_gives_the_same_preview(
    api, tmp_path: Path, stored_and_new
) -> None:
    dry = submit(api["alice"], tmp_path, stored_and_new, dry_run="true")
    runner.execute(dry)
    (complete,) = upload_messages(QueueJob.objects.get(pk=dry))
    assert complete["type"] == "bulk_upload_complete"
    assert complete["stats"]["dry_run"] is True
    assert complete["stats"]["database_stats"] == status_of(api["alice"], dry)["database_stats"]


@pytest.mark.parametrize(
    ("mode", "expected", "reason"),
    [
        (
            "create_only",
            {"created": 2, "updated": 0, "unchanged": 0, "failed": 3},
            "already exists (mode create_only)",
        ),
        (
            "update_only",
            {"created": 0, "updated": 1, "unchanged": 2, "failed": 2},
            "does not exist (mode update_only)",
        ),
    ],
)
def test_a_dry_run_counts_what_its_mode_would_refuse_and_reports_it(
    api, tmp_path: Path, stored_and_new, mode: str, expected: dict[str, int], reason: str
) -> None:
    dry = submit(api["alice"], tmp_path, stored_and_new, dry_run="true", mode=mode)
    runner.execute(dry)
    status = status_of(api["alice"], dry)
    assert status["database_stats"] == expected
    assert status["validation_stats"]["invalid_rows"] == 1 + expected["failed"]
    assert status["error_report_url"] == f"{BASE}/errors/{dry}"
    messages = QueueJob.objects.get(pk=dry).upload.errors.values_list("message", flat=True)
    assert sum(reason in message for message in messages) == expected["failed"]
    assert Member.objects.count() == 3


def test_confirm_queues_the_import_as_a_new_job_that_names_its_dry_run(
    api, tmp_path: Path, stored_and_new
) -> None:
    dry = submit(api["alice"], tmp_path, stored_and_new, dry_run="true")
    runner.execute(dry)
    response = api["alice"].post(f"{BASE}/confirm/{dry}")
    assert response.status_code == 202
    assert response.json()["message"] == "import of the dry run queued"
    confirmed = response.json()["data"]
    assert confirmed["job_id"] != dry
    assert (confirmed["status"], confirmed["dry_run"]) == ("waiting", False)
    assert confirmed["dry_run_job_id"] == dry
    runner.execute(confirmed["job_id"])
    done = status_of(api["alice"], confirmed["job_id"])
    assert done["database_stats"] == {"created": 2, "updated": 1, "unchanged": 2, "failed": 0}
    assert Member.objects.count() == 5
    assert Member.objects.get(id_number=stored_and_new[2][0]).last_name == "Renamed"


def test_after_confirming_the_dry_run_still_answers_and_names_its_import(
    api, tmp_path: Path, stored_and_new
) -> None:
    dry = submit(api["alice"], tmp_path, stored_and_new, dry_run="true")
    runner.execute(dry)
    confirmed = api["alice"].post(f"{BASE}/confirm/{dry}").json()["data"]["job_id"]
    runner.execute(confirmed)
    status = status_of(api["alice"], dry)
    assert status["confirmed_job_id"] == confirmed
    assert (status["dry_run"], status["status"]) == (True, "completed")
    assert status["database_stats"] == {"created": 2, "updated": 1, "unchanged": 2, "failed": 0}
    report = api["alice"].get(f"{BASE}/errors/{dry}")
    assert report.status_code == 200
    assert api["alice"].get(f"{BASE}/errors/{confirmed}").status_code == 200
    history = [h["job_id"] for h in api["alice"].get(f"{BASE}/history").json()["data"]]
    assert set(history) >= {dry, confirmed}


def test_a_second_confirm_is_409_naming_the_import(api, tmp_path: Path) -> None:
    dry = submit(api["alice"], tmp_path, members(2), dry_run="true")
    runner.execute(dry)
    confirmed = api["alice"].post(f"{BASE}/confirm/{dry}").json()["data"]["job_id"]
    again = api["alice"].post(f"{BASE}/confirm/{dry}")
    assert again.status_code == 409
    error = again.json()["error"]
    assert error["code"] == "invalid_state"
    assert error["message"] == f"this dry run was already confirmed: job {confirmed} imports it"
    assert QueueJob.objects.count() == 2


def test_confirming_an_unfinished_dry_run_or_an_import_is_409(api, tmp_path: Path) -> None:
    dry = submit(api["alice"], tmp_path, members(2), dry_run="true")
    early = api["alice"].post(f"{BASE}/confirm/{dry}")
    assert early.status_code == 409
    assert early.json()["error"]["message"] == (
        "cannot confirm a job that is a waiting dry run (allowed from: completed dry run)"
    )
    real = submit(api["alice"], tmp_path, members(2, start=50))
    runner.execute(real)
    assert api["alice"].post(f"{BASE}/confirm/{real}").status_code == 409


def test_the_import_keeps_the_dry_runs_priority(api, tmp_path: Path) -> None:
    dry = submit(api["province"], tmp_path, members(2), dry_run="true", priority=7)
    runner.execute(dry)
    confirmed = api["province"].post(f"{BASE}/confirm/{dry}").json()["data"]
    assert confirmed["priority"] == 7


def test_the_import_may_take_another_priority_within_the_role(api, tmp_path: Path) -> None:
    dry = submit(api["province"], tmp_path, members(2), dry_run="true", priority=7)
    runner.execute(dry)
    above = api["province"].post(f"{BASE}/confirm/{dry}", {"priority": 3}, format="json")
    assert above.status_code == 403
    assert above.json()["error"]["message"] == (
        "priority 3 is above what your role allows: use 5 to 10"
    )
    chosen = api["province"].post(f"{BASE}/confirm/{dry}", {"priority": 5}, format="json")
    assert chosen.status_code == 202
    assert chosen.json()["data"]["priority"] == 5


def test_someone_elses_dry_run_cannot_be_confirmed(api, tmp_path: Path) -> None:
    dry = submit(api["alice"], tmp_path, members(2), dry_run="true")
    runner.execute(dry)
    assert api["bob"].post(f"{BASE}/confirm/{dry}").status_code == 404
    assert api["viewer"].post(f"{BASE}/confirm/{dry}").status_code == 403


def test_statistics_count_the_rows_an_import_created_not_a_preview(api, tmp_path: Path) -> None:
    dry = submit(api["alice"], tmp_path, members(3), dry_run="true")
    runner.execute(dry)
    stats = api["alice"].get(f"{BASE}/statistics").json()["data"]
    assert stats["rows_created"] == 0
    runner.execute(api["alice"].post(f"{BASE}/confirm/{dry}").json()["data"]["job_id"])
    stats = api["alice"].get(f"{BASE}/statistics").json()["data"]
    assert (stats["total_uploads"], stats["rows_created"]) == (2, 3)


def test_an_all_or_nothing_dry_run_with_a_bad_row_says_the_import_would_write_nothing(
    api, tmp_path: Path, stored_and_new
) -> None:
    dry = submit(api["alice"], tmp_path, stored_and_new, dry_run="true", policy="all_or_nothing")
    runner.execute(dry)
    status = status_of(api["alice"], dry)
    assert status["status"] == "failed"
    assert status["error_message"] == (
        "1 rows are invalid, so the import would write nothing (policy all_or_nothing); "
        "see the error report"
    )
    assert status["database_stats"] == {"created": 2, "updated": 1, "unchanged": 2, "failed": 0}
    assert status["error_report_url"] == f"{BASE}/errors/{dry}"
    assert api["alice"].post(f"{BASE}/confirm/{dry}").status_code == 409
