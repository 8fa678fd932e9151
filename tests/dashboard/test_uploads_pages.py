"""The upload pages as people use them (the browser tests drive the same pages with JavaScript):
upload, see the result and the row errors, download, dry run and confirm, and who sees what."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jobs import runner
from tests.uploads.files import MEMBER_HEADER, members, write_csv
from uploads.models import Member, Upload
from uploads.reports import XLSX

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("media_root")]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200


def text(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", response.content.decode())


def members_csv(tmp_path: Path, count: int, *, bad_every: int = 0) -> Path:
    rows = members(count)
    if bad_every:
        for i in range(bad_every - 1, count, bad_every):
            rows[i][MEMBER_HEADER.index("email")] = "not-an-email"
    return write_csv(tmp_path / "members.csv", [MEMBER_HEADER, *rows])


def upload(client, path: Path, **fields) -> str:  # type: ignore[no-untyped-def]
    """Post the upload form as a browser without JavaScript; the job id it leads to."""
    with path.open("rb") as file:
        data = {"import_type": "members", "mode": "upsert", "policy": "skip_invalid"}
        response = client.post("/dashboard/uploads/new/", {**data, **fields, "file": file})
    assert response.status_code == 302, text(response)
    return str(response["Location"].rstrip("/").rsplit("/", 1)[-1])


def test_an_upload_leads_to_its_page_which_shows_the_result_and_the_bad_rows(
    browser_as, tmp_path: Path
) -> None:
    client = browser_as("alice")
    job_id = upload(client, members_csv(tmp_path, 100, bad_every=50), priority="10")
    waiting = text(client.get(f"/dashboard/uploads/{job_id}/"))
    assert "Cancel upload" in waiting
    runner.execute(job_id)
    page = text(client.get(f"/dashboard/uploads/{job_id}/"))
    assert re.search(r"Created</span>\s*<span [^>]*>98<", page)
    assert "Row errors" in page
    assert re.search(
        r"<td class=\"num\">51</td>\s*<td>email</td>\s*<td class=\"mono\">not-an-email", page
    )
    assert "Download the error report" in page
    assert Member.objects.count() == 98


def test_the_page_sends_its_form_in_the_background_and_gets_the_job(browser_as, tmp_path) -> None:
    client = browser_as("alice")
    with members_csv(tmp_path, 3).open("rb") as file:
        response = client.post(
            "/dashboard/uploads/new/",
            {
                "import_type": "members",
                "mode": "upsert",
                "policy": "skip_invalid",
                "priority": "10",
                "file": file,
            },
            HTTP_ACCEPT="application/json",
        )
    assert response.status_code == 202
    answer = response.json()
    assert answer["url"] == f"/dashboard/uploads/{answer['job_id']}/"
    assert Upload.objects.get().job_id is not None


def test_a_picture_named_xlsx_is_refused_on_the_page_in_the_servers_words(browser_as) -> None:
    client = browser_as("alice")
    form = {"import_type": "members", "mode": "upsert", "policy": "skip_invalid", "priority": "10"}
    picture = io.BytesIO(PNG)
    picture.name = "members.xlsx"
    page = client.post("/dashboard/uploads/new/", {**form, "file": picture})
    assert page.status_code == 200
    assert "not a spreadsheet" in text(page).lower() or "unsupported" in text(page).lower()
    picture.seek(0)
    answer = client.post(
        "/dashboard/uploads/new/", {**form, "file": picture}, HTTP_ACCEPT="application/json"
    )
    assert answer.status_code == 415
    assert answer.json()["error"]
    assert not Upload.objects.exists()


def test_another_uploader_sees_neither_the_page_nor_the_files(browser_as, tmp_path) -> None:
    job_id = upload(browser_as("alice"), members_csv(tmp_path, 100, bad_every=50), priority="10")
    runner.execute(job_id)
    bob = browser_as("bob")
    for part in ("", "panel/", "file/", "report/"):
        assert bob.get(f"/dashboard/uploads/{job_id}/{part}").status_code == 404, part
    assert "members.csv" not in text(bob.get("/dashboard/uploads/"))
    staff = browser_as("viewer")
    assert staff.get(f"/dashboard/uploads/{job_id}/report/").status_code == 200


def test_the_error_report_and_the_template_download(browser_as, tmp_path) -> None:
    from openpyxl import load_workbook

    client = browser_as("alice")
    job_id = upload(client, members_csv(tmp_path, 100, bad_every=50), priority="10")
    runner.execute(job_id)
    report = client.get(f"/dashboard/uploads/{job_id}/report/")
    assert report["Content-Disposition"].startswith('attachment; filename="members-errors.xlsx"')
    sheet = load_workbook(io.BytesIO(b"".join(report.streaming_content))).active
    assert sheet.max_row == 1 + 2
    template = client.get("/dashboard/templates/members/")
    assert template.status_code == 200
    header = [c.value for c in next(load_workbook(io.BytesIO(template.content)).active.rows)]
    assert "id_number" in header


def test_the_downloads_carry_the_names_and_type_the_api_gives(browser_as, tmp_path) -> None:
    client = browser_as("alice")
    job_id = upload(client, members_csv(tmp_path, 10, bad_every=5), priority="10")
    runner.execute(job_id)
    report = client.get(f"/dashboard/uploads/{job_id}/report/")
    assert report["Content-Disposition"] == 'attachment; filename="members-errors.xlsx"'
    assert report["Content-Type"] == XLSX
    template = client.get("/dashboard/templates/devices/")
    assert template["Content-Disposition"] == 'attachment; filename="devices-template.xlsx"'
    assert template["Content-Type"] == XLSX


def test_a_dry_run_shows_what_it_would_do_and_confirm_imports_it(browser_as, tmp_path) -> None:
    client = browser_as("alice")
    job_id = upload(client, members_csv(tmp_path, 10), priority="10", dry_run="on")
    runner.execute(job_id)
    page = text(client.get(f"/dashboard/uploads/{job_id}/"))
    assert "Would create" in page
    assert re.search(r'data-stat="created">10<', page)
    assert "Confirm and import" in page
    assert Member.objects.count() == 0
    confirmed = client.post(f"/dashboard/uploads/{job_id}/confirm/", {"priority": "10"})
    new_job = confirmed["Location"].rstrip("/").rsplit("/", 1)[-1]
    runner.execute(new_job)
    after = text(client.get(f"/dashboard/uploads/{new_job}/"))
    assert re.search(r"Created</span>\s*<span [^>]*>10<", after)
    assert Member.objects.count() == 10
    dry_page = text(client.get(f"/dashboard/uploads/{job_id}/"))
    assert f"imported by job {new_job[:8]}" in dry_page
    assert "Confirm and import" not in dry_page
    again = client.post(f"/dashboard/uploads/{job_id}/confirm/", {"priority": "10"}, follow=True)
    assert "Not confirmed:" in text(again)


def test_confirm_and_cancel_need_the_right_to_act_on_the_uploads_job(browser_as, tmp_path) -> None:
    job_id = upload(browser_as("alice"), members_csv(tmp_path, 10), priority="10", dry_run="on")
    for part in ("confirm/", "cancel/"):
        assert browser_as("bob").post(f"/dashboard/uploads/{job_id}/{part}").status_code == 404
        assert browser_as("viewer").post(f"/dashboard/uploads/{job_id}/{part}").status_code == 403
    cancelled = browser_as("alice").post(f"/dashboard/uploads/{job_id}/cancel/", follow=True)
    assert "Upload cancelled: the rows written so far stay." in text(cancelled)


def test_the_uploads_list_shows_history_and_statistics_at_a_constant_query_count(
    browser_as, tmp_path
) -> None:
    client = browser_as("viewer")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/dashboard/uploads/").status_code == 200
        return len(captured)

    alice = browser_as("alice")
    upload(alice, members_csv(tmp_path, 3), priority="10")
    first = queries()
    for _ in range(4):
        upload(alice, members_csv(tmp_path, 3), priority="10")
    assert queries() == first
    page = text(client.get("/dashboard/uploads/?type=members"))
    assert page.count("members.csv") == 5
    assert re.search(r"Uploads</span><span class=\"big\">5<", page.replace(" <", "<"))


def test_an_import_jobs_page_links_to_its_upload(browser_as, tmp_path) -> None:
    client = browser_as("alice")
    job_id = upload(client, members_csv(tmp_path, 3), priority="10")
    page = client.get(f"/dashboard/jobs/{job_id}/").content.decode()
    assert f'href="/dashboard/uploads/{job_id}/">members.csv</a>' in page


def test_the_uploads_list_filters_by_type_status_and_day(browser_as, tmp_path) -> None:
    client = browser_as("viewer")
    done = upload(browser_as("alice"), members_csv(tmp_path, 3), priority="10")
    runner.execute(done)
    upload(browser_as("alice"), members_csv(tmp_path, 3), priority="10")
    assert text(client.get("/dashboard/uploads/?status=completed")).count("members.csv") == 1
    assert text(client.get("/dashboard/uploads/?type=devices")).count("members.csv") == 0
    assert text(client.get("/dashboard/uploads/?since=2000-01-01")).count("members.csv") == 2
    assert text(client.get("/dashboard/uploads/?since=2999-01-01")).count("members.csv") == 0
    nonsense = client.get("/dashboard/uploads/?since=2026-02-31")
    assert nonsense.status_code == 200
