from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from jobs import runner
from uploads.models import Upload
from uploads.services import upload_create


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def run_import() -> Callable[..., Upload]:
    """Upload a file through the service and run its job here (RQ's in-horse path)."""

    def run(path: Path, import_type: str = "members", **options: Any) -> Upload:
        with path.open("rb") as stream:
            upload = upload_create(
                stream=stream, original_name=path.name, import_type=import_type, **options
            )
        assert upload.job is not None
        runner.execute(str(upload.job.pk))
        upload.refresh_from_db()
        upload.job.refresh_from_db()
        return upload

    return run
