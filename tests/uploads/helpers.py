"""Uploading a file the way the API and the pages do, and watching its import from outside."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jobs import runner
from tests.conftest import Processes, wait_until
from tests.uploads.files import MEMBER_HEADER, write_csv
from uploads.models import Upload
from uploads.services import upload_create


def upload_file(path: Path, import_type: str = "members", **options: Any) -> Upload:
    """Upload the file at `path` under its own name through the service; its job is queued."""
    with path.open("rb") as stream:
        return upload_create(
            stream=stream, original_name=path.name, import_type=import_type, **options
        )


def import_here(path: Path, import_type: str = "members", **options: Any) -> Upload:
    """Upload the file and run its job in this process (RQ's in-horse path) to its end."""
    upload = upload_file(path, import_type=import_type, **options)
    assert upload.job is not None
    runner.execute(str(upload.job.pk))
    upload.refresh_from_db()
    upload.job.refresh_from_db()
    return upload


def paced_env(media_root: Path, rows_per_second: int = 5000) -> dict[str, str]:
    """Settings for worker processes that import at a set pace (slow enough to interrupt a
    20,000-row import in the middle, or for a person to watch it) from the test's media."""
    return {"MEDIA_ROOT": str(media_root), "UPLOAD_THROTTLE_ROWS_PER_SECOND": str(rows_per_second)}


def committed_rows(upload: Upload) -> int:
    """How many rows the import has committed so far, by its checkpoint."""
    return int(Upload.objects.get(pk=upload.pk).checkpoint.get("row", 0))


def wait_for_rows(upload: Upload, rows: int, processes: Processes) -> None:
    wait_until(
        lambda: committed_rows(upload) >= rows,
        60,
        what=f"{rows:,} committed rows\n{processes.logs()}",
    )


def wait_for_status(
    upload: Upload, status: str, processes: Processes, timeout: float = 120
) -> None:
    """Wait until the upload's job reaches `status` (read afresh from the ledger each time)."""
    wait_until(
        lambda: Upload.objects.get(pk=upload.pk).job.status == status,
        timeout,
        interval=0.5,
        what=f"the import to be {status}\n{processes.logs()}",
    )


def import_under_way(
    rows: Sequence[Sequence[Any]],
    processes: Processes,
    *,
    folder: Path,
    media_root: Path,
    workers: Sequence[str] = ("w1",),
) -> tuple[Upload, list[subprocess.Popen[bytes]]]:
    """`rows` of members uploaded as a CSV to paced workers (and maintenance) of these names,
    returned once 4,000 rows are committed: an import in the middle, for a test to interrupt."""
    path = write_csv(folder / "big.csv", [MEMBER_HEADER, *rows])
    env = paced_env(media_root)
    started = [processes.worker(name, env=env) for name in workers]
    processes.maintenance(env=env)
    upload = upload_file(path)
    wait_for_rows(upload, 4000, processes)
    return upload, started
