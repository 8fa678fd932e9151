"""import_file in the process: who the upload is for, and the priority its role allows."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from jobs.models import JobSource
from tests.factories import make_user
from tests.uploads.files import MEMBER_HEADER, members, write_csv
from uploads.models import Upload

pytestmark = pytest.mark.django_db(transaction=True)


def import_file(path: Path, *args: str) -> str:
    out = io.StringIO()
    call_command("import_file", str(path), "--type", "members", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "m.csv", [MEMBER_HEADER, *members(2)])


def test_a_priority_above_what_the_users_role_allows_is_refused(csv_file: Path) -> None:
    make_user("province", "province_admin")
    with pytest.raises(CommandError, match=r"m\.csv: priority 2 is above what your role allows"):
        import_file(csv_file, "--priority", "2", "--user", "province")
    assert not Upload.objects.exists()


def test_the_upload_is_the_users_at_their_roles_default(csv_file: Path) -> None:
    user = make_user("national", "national_admin")  # 3: not the import's own default of 5
    assert "queued m.csv as job" in import_file(csv_file, "--user", "national")
    upload = Upload.objects.select_related("job").get()
    assert upload.uploaded_by == user
    assert upload.job is not None
    assert (upload.job.priority, upload.job.created_by, upload.job.source) == (
        3,
        user,
        JobSource.CLI,
    )


def test_without_a_user_the_operator_may_use_any_priority(csv_file: Path) -> None:
    import_file(csv_file, "--priority", "1")
    upload = Upload.objects.select_related("job").get()
    assert upload.uploaded_by is None
    assert upload.job is not None
    assert upload.job.priority == 1


def test_an_unknown_user_is_refused(csv_file: Path) -> None:
    with pytest.raises(CommandError, match="no user 'nobody'"):
        import_file(csv_file, "--user", "nobody")
    assert not Upload.objects.exists()
