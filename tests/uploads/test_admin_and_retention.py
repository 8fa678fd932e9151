from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone

from jobs.models import JobStatus, QueueJob
from jobs.services import jobs_clean
from tests.uploads.files import MEMBER_HEADER, members, write_csv
from tests.uploads.helpers import upload_file
from uploads.models import Upload

pytestmark = pytest.mark.django_db(transaction=True)


def test_upload_admin_lists_uploads_with_status_and_counts(
    admin_client, tmp_path: Path, run_import
) -> None:
    rows = members(3)
    rows[2][5] = "Atlantis"
    upload = run_import(write_csv(tmp_path / "m.csv", [MEMBER_HEADER, *rows]))
    page = admin_client.get("/admin/uploads/upload/").content.decode()
    assert "m.csv" in page
    assert "completed" in page
    detail = admin_client.get(f"/admin/uploads/upload/{upload.pk}/change/").content.decode()
    assert "download" in detail  # the error report link
    assert admin_client.get("/admin/uploads/member/").status_code == 200


def test_retention_deletes_the_upload_and_its_files(tmp_path: Path, run_import) -> None:
    rows = members(2)
    rows[1][5] = "Atlantis"
    upload = run_import(write_csv(tmp_path / "m.csv", [MEMBER_HEADER, *rows]))
    stored, report = Path(upload.file.path), Path(upload.error_report.path)
    assert stored.exists()
    assert report.exists()
    QueueJob.objects.filter(pk=upload.job_id).update(
        completed_at=timezone.now() - dt.timedelta(days=40), status=JobStatus.COMPLETED
    )
    assert jobs_clean(older_than=dt.timedelta(days=30)) == 1
    assert not stored.exists()
    assert not report.exists()
    assert not Upload.objects.exists()


def test_the_upload_list_has_an_import_button_and_an_upload_page_links_its_downloads(
    admin_client, tmp_path
) -> None:
    path = write_csv(tmp_path / "m.csv", [MEMBER_HEADER, *members(3)])
    upload = upload_file(path)
    listing = admin_client.get("/admin/uploads/upload/").content.decode()
    assert 'href="/dashboard/uploads/new/"' in listing
    assert ">Import<" in listing
    page = admin_client.get(f"/admin/uploads/upload/{upload.pk}/change/").content.decode()
    assert f'href="/dashboard/uploads/{upload.job_id}/file/"' in page
    assert f'href="/dashboard/uploads/{upload.job_id}/"' in page
    assert "/media/" not in page
    download = admin_client.get(f"/dashboard/uploads/{upload.job_id}/file/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"id_number")
    assert Upload.objects.count() == 1
