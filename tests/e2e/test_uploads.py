"""Uploads in Chromium as people do them: a 20,000-row members workbook watched to the end
without a reload, its error report and the template downloaded, a dry run confirmed, a picture
refused on the page, and another uploader kept out."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.conftest import Processes
from tests.e2e.conftest import person, person_signed_in, screenshot
from tests.uploads.files import MEMBER_HEADER, members, write_csv, write_xlsx
from tests.uploads.helpers import import_here, paced_env
from uploads.models import Member

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROWS = 20_000


def members_xlsx(path: Path, count: int, *, bad_every: int) -> Path:
    rows = members(count)
    for i in range(bad_every - 1, count, bad_every):
        rows[i][MEMBER_HEADER.index("email")] = "not-an-email"
    return write_xlsx(path, {"Members": [MEMBER_HEADER, *rows]})


@pytest.fixture
def url(processes: Processes, media_root: Path) -> str:
    """The project served, with a worker, on the test's own media folder."""
    url = processes.server(env={"MEDIA_ROOT": str(media_root)})
    # Stretched over a few seconds, so that a person (and the test) sees the import run.
    processes.worker(env=paced_env(media_root, rows_per_second=6000))
    return url


def test_an_upload_is_followed_to_its_result_and_its_files_download(
    url: str, browser_page: Any, tmp_path: Path
) -> None:
    page = browser_page
    person_signed_in(page, url, "thandi")
    page.get_by_role("link", name="Uploads").click()
    page.get_by_role("link", name="New upload").click()
    screenshot(page, "upload-new")
    page.get_by_label("File", exact=True).set_input_files(
        str(members_xlsx(tmp_path / "members.xlsx", ROWS, bad_every=50))
    )
    page.get_by_role("button", name="Upload").click()
    # The same page follows the job: no navigation happens.
    expect(page.get_by_text(re.compile(r"rows/s"))).to_be_visible(timeout=30_000)
    screenshot(page, "upload-running")
    expect(page.get_by_text("19,600", exact=True)).to_be_visible(timeout=60_000)
    expect(page.get_by_text("400 with errors")).to_be_visible()
    expect(page.get_by_role("heading", name="Row errors (the first 20 of 400)")).to_be_visible()
    assert page.url.endswith("/dashboard/uploads/new/")
    screenshot(page, "upload-done")
    assert Member.objects.count() == 19_600

    with page.expect_download() as report:
        page.get_by_role("link", name="Download the error report").click()
    sheet = load_workbook(io.BytesIO(report.value.path().read_bytes())).active
    assert sheet.max_row == 1 + 400
    assert not any(
        isinstance(cell.value, str) and cell.data_type == "f" for row in sheet.rows for cell in row
    )
    with page.expect_download() as template:
        page.get_by_role("link", name="Download the members template").click()
    blank = load_workbook(io.BytesIO(template.value.path().read_bytes())).active
    assert "id_number" in [c.value for c in next(blank.rows)]


def test_a_dry_run_previews_then_confirm_imports(
    url: str, browser_page: Any, tmp_path: Path
) -> None:
    page = browser_page
    person_signed_in(page, url, "thandi")
    page.goto(f"{url}/dashboard/uploads/new/")
    path = write_csv(tmp_path / "few.csv", [MEMBER_HEADER, *members(30)])
    page.get_by_label("File", exact=True).set_input_files(str(path))
    page.get_by_label(re.compile("Dry run")).check()
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_text("Would create")).to_be_visible(timeout=30_000)
    expect(page.locator('[data-stat="created"]')).to_have_text("30")
    assert Member.objects.count() == 0
    screenshot(page, "upload-dry-run")
    page.get_by_role("button", name="Confirm and import").click()
    expect(page.get_by_text("Import of the dry run queued.")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("dry run [0-9a-f]{8}"))).to_be_visible()
    expect(page.get_by_text("Created", exact=True)).to_be_visible(timeout=30_000)
    expect(page.get_by_text("30", exact=True).first).to_be_visible()
    assert Member.objects.count() == 30


def test_a_picture_named_xlsx_is_refused_on_the_page(
    url: str, browser_page: Any, tmp_path: Path
) -> None:
    picture = tmp_path / "members.xlsx"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(500))
    page = browser_page
    person_signed_in(page, url, "thandi")
    page.goto(f"{url}/dashboard/uploads/new/")
    page.get_by_label("File", exact=True).set_input_files(str(picture))
    page.get_by_role("button", name="Upload").click()
    refusal = page.locator("[data-upload-error]")
    expect(refusal).to_be_visible()
    expect(refusal).not_to_be_empty()
    screenshot(page, "upload-refused")


def test_another_uploader_sees_neither_the_upload_nor_its_files(
    url: str, browser_page: Any, tmp_path: Path
) -> None:
    owner = person("thandi")
    job_id = import_here(
        write_csv(tmp_path / "mine.csv", [MEMBER_HEADER, *members(5)]), uploaded_by=owner
    ).job_id
    page = browser_page
    person_signed_in(page, url, "pieter")
    page.goto(f"{url}/dashboard/uploads/")
    expect(page.get_by_text("No uploads yet.")).to_be_visible()
    assert page.goto(f"{url}/dashboard/uploads/{job_id}/").status == 404
    assert page.request.get(f"{url}/dashboard/uploads/{job_id}/file/").status == 404


def test_the_admins_report_and_file_links_download(
    url: str, browser_page: Any, tmp_path: Path
) -> None:
    rows = members(10)
    rows[3][MEMBER_HEADER.index("email")] = "not-an-email"
    job_id = import_here(write_csv(tmp_path / "ten.csv", [MEMBER_HEADER, *rows])).job_id
    page = browser_page
    person_signed_in(page, url, "sipho", is_staff=True, is_superuser=True)
    page.goto(f"{url}/admin/uploads/upload/")
    expect(page.get_by_role("link", name="Import", exact=True)).to_be_visible()
    page.get_by_role("link", name="ten.csv").click()
    screenshot(page, "admin-upload")
    with page.expect_download() as file:
        page.get_by_role("link", name="download ten.csv").click()
    assert file.value.path().read_bytes().startswith(b"id_number")
    with page.expect_download() as report:
        page.get_by_role("link", name="download", exact=True).click()
    sheet = load_workbook(io.BytesIO(report.value.path().read_bytes())).active
    assert sheet.max_row == 2
    assert f"/dashboard/uploads/{job_id}/" in page.content()
