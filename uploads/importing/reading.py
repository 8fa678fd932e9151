"""Reading an upload's stored file: a local path to it, its table of rows (refused for good when
damaged or too long), and the rows in batches."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings

from jobs.registry import PermanentError
from uploads.importers.base import ImportType
from uploads.importing.stats import ImportTiming
from uploads.models import Upload
from uploads.readers import FileRefused, Table, open_table

BATCH_SIZE = 2000
Batch = list[tuple[int, dict[str, Any]]]  # (row number, raw values by column name)


@contextlib.contextmanager
def upload_local_file(upload: Upload) -> Iterator[Path]:
    """The stored file's path; a local copy while the block runs when storage is remote."""
    try:
        yield Path(upload.file.path)
    except NotImplementedError:  # remote storage: work on a local copy
        with tempfile.NamedTemporaryFile(suffix=f".{upload.file_type}") as copy:
            with upload.file.open("rb") as source:
                shutil.copyfileobj(source, copy)
            copy.flush()
            yield Path(copy.name)


@contextlib.contextmanager
def upload_table(upload: Upload, importer: type[ImportType], path: Path) -> Iterator[Table]:
    """The file's table under its header row. A file that is damaged, missing or has more rows
    than UPLOAD_MAX_ROWS fails the job for good: a retry would find the same."""
    try:
        table = open_table(
            path,
            upload.file_type,
            importer,
            max_uncompressed=settings.UPLOAD_MAX_UNCOMPRESSED_BYTES,
        )
    except FileRefused as exc:
        raise PermanentError(str(exc)) from None
    except FileNotFoundError:
        raise PermanentError("the uploaded file is missing from storage") from None
    try:
        _check_size(table)
        yield table
    except FileRefused as exc:  # damage found past the header: a retry would find it again
        raise PermanentError(str(exc)) from None
    finally:
        table.close()


def _check_size(table: Table) -> None:
    if table.estimated_rows > settings.UPLOAD_MAX_ROWS:
        raise PermanentError(
            f"the file has {table.estimated_rows:,} rows; at most "
            f"{settings.UPLOAD_MAX_ROWS:,} are accepted (UPLOAD_MAX_ROWS)"
        )


class BatchReader:
    """A table's rows in batches of BATCH_SIZE; it keeps the number of the last row read, and
    adds the time spent reading to `timing`."""

    def __init__(self, table: Table, *, timing: ImportTiming) -> None:
        self.table, self.timing = table, timing
        self.last_row = 0

    def batches(self) -> Iterator[Batch]:
        batch: Batch = []
        mark = time.monotonic()
        for number, raw in self.table.rows:
            batch.append((number, raw))
            self.last_row = number
            if len(batch) >= BATCH_SIZE:
                self.timing.read += time.monotonic() - mark
                yield batch
                batch, mark = [], time.monotonic()
        if batch:
            self.timing.read += time.monotonic() - mark
            yield batch
