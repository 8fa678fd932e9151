"""Reads of uploads: the statistics a user sees."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.uploads.files import MEMBER_HEADER, members, write_csv
from uploads.models import Upload
from uploads.selectors import upload_statistics

pytestmark = pytest.mark.django_db(transaction=True)


def test_statistics_add_up_the_uploads_a_user_may_see(
    tmp_path: Path, run_import: Callable[..., Upload], django_user_model
) -> None:
    alice = django_user_model.objects.create_user("alice")
    bob = django_user_model.objects.create_user("bob")
    rows = members(5)
    rows[4][5] = "Atlantis"
    first = run_import(write_csv(tmp_path / "a.csv", [MEMBER_HEADER, *rows]), uploaded_by=alice)
    second = run_import(write_csv(tmp_path / "b.csv", [MEMBER_HEADER, *rows]), uploaded_by=alice)
    other = run_import(
        write_csv(tmp_path / "c.csv", [MEMBER_HEADER, *members(2, start=50)]), uploaded_by=bob
    )
    assert upload_statistics(visible_to=alice) == {
        "total_uploads": 2,
        "by_status": {"completed": 2},
        "by_import_type": {"members": 2},
        "by_uploader": {"alice": 2},
        "rows_processed": 10,
        "rows_created": 4,  # the second upload found its rows unchanged
        "bytes_uploaded": first.size + second.size,
    }
    everything = upload_statistics(visible_to=None)
    assert (everything["total_uploads"], everything["rows_processed"]) == (3, 12)
    assert everything["rows_created"] == 6
    assert everything["bytes_uploaded"] == first.size + second.size + other.size
    assert everything["by_uploader"] == {"alice": 2, "bob": 1}


def test_statistics_of_no_uploads_are_zeros(django_user_model) -> None:
    alice = django_user_model.objects.create_user("alice")
    assert upload_statistics(visible_to=alice) == {
        "total_uploads": 0,
        "by_status": {},
        "by_import_type": {},
        "by_uploader": {},
        "rows_processed": 0,
        "rows_created": 0,
        "bytes_uploaded": 0,
    }
