"""Files are checked before anything is stored; stored names are ours, never the client's."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from jobs.errors import PriorityNotAllowed
from jobs.models import QueueJob
from tests.factories import make_user
from tests.uploads.files import MEMBER_HEADER, members, write_csv, write_xlsx
from uploads.importers import get_import_type
from uploads.models import Member, Upload
from uploads.readers import FileRefused
from uploads.reports import template_build
from uploads.services import InvalidUpload, upload_create

pytestmark = pytest.mark.django_db(transaction=True)


def create(data: bytes, name: str = "m.csv", **options: object) -> Upload:
    return upload_create(
        stream=io.BytesIO(data),
        original_name=name,
        import_type=str(options.pop("import_type", "members")),
        **options,
    )


def nothing_stored(media_root: Path) -> bool:
    files = [p for p in media_root.rglob("*") if p.is_file()] if media_root.exists() else []
    return not files and not Upload.objects.exists() and not QueueJob.objects.exists()


def test_empty_file_is_refused_and_nothing_is_stored(media_root: Path) -> None:
    with pytest.raises(FileRefused, match=r"the file is empty \(0 bytes\)"):
        create(b"")
    assert nothing_stored(media_root)


def test_too_large_file_is_refused(settings, media_root: Path) -> None:
    settings.UPLOAD_MAX_BYTES = 1000
    with pytest.raises(FileRefused) as refused:
        create(b"x" * 1001)
    assert refused.value.code == "too_large"
    assert nothing_stored(media_root)


def test_unknown_import_type_and_mode_are_refused() -> None:
    with pytest.raises(InvalidUpload, match="unknown import type 'pets'"):
        create(b"a,b\n", import_type="pets")
    with pytest.raises(InvalidUpload, match="mode 'merge' must be one of upsert, create_only"):
        create(b"a,b\n", mode="merge")


def test_stored_file_has_our_name_and_the_client_name_is_only_displayed(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "m.csv", [MEMBER_HEADER, *members(1)])
    upload = create(path.read_bytes(), name="..\\..\\etc/pass\x00wd.csv")
    assert upload.original_name == "passwd.csv"
    assert Path(upload.file.name).name == f"{upload.pk}.csv"
    assert upload.size == path.stat().st_size
    assert upload.file_type == "csv"
    assert len(upload.sha256) == 64


def test_type_comes_from_content_not_name(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "m.xlsx", {"S": [MEMBER_HEADER, *members(1)]})
    upload = create(path.read_bytes(), name="members.csv")
    assert upload.file_type == "xlsx"


def test_template_has_headers_an_example_and_a_province_list(tmp_path: Path, run_import) -> None:
    data = template_build(get_import_type("members"))
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook["Members"]
    assert [c.value for c in sheet[1]] == MEMBER_HEADER
    assert sheet.data_validations.dataValidation[0].formula1 == "=Provinces!$A$1:$A$9"
    assert [r[0] for r in workbook["Provinces"].iter_rows(values_only=True)][:2] == [
        "Eastern Cape",
        "Free State",
    ]
    template = tmp_path / "template.xlsx"
    template.write_bytes(data)
    upload = run_import(template)  # the example row itself is valid
    assert upload.database_stats["created"] == 1
    assert Member.objects.get().first_name == "Thabo"


def test_a_priority_above_the_uploaders_role_is_refused_before_anything_is_stored(
    media_root: Path,
) -> None:
    uploader = make_user("national", "national_admin")
    data = write_csv(media_root.parent / "m.csv", [MEMBER_HEADER, *members(1)]).read_bytes()
    with pytest.raises(PriorityNotAllowed, match="priority 2 is above what your role allows"):
        create(data, uploaded_by=uploader, priority=2)
    assert nothing_stored(media_root)
    upload = create(data, uploaded_by=uploader)
    assert upload.job is not None
    assert upload.job.priority == 3  # the role's default (the import's own is 5)
