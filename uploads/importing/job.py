"""The `uploads.import` job: validate a file row by row and write it in batches.

Each batch is written in one transaction together with its row errors and the checkpoint (the last
row number done and the running stats). A rerun after a crash resumes after the last committed
batch, so exactly the file's rows end up in the table, never twice, never missing. With
`all_or_nothing` the rows are validated first and written in a single transaction, or not at all.

The parts: reading (the file, in batches), checking (parse, validate, duplicates), deciding (by
mode, no database), writing (the SQL, the errors, the checkpoint). This module runs them.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import time
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db import connection, reset_queries, transaction

from jobs.context import JobContext
from jobs.registry import PermanentError, job_type
from uploads.importers import UnknownImportType, get_import_type
from uploads.importers.base import ImportType, ParsedRow
from uploads.importing import IMPORT_JOB_TYPE, IMPORT_QUEUE
from uploads.importing.checking import Checked, RowChecker
from uploads.importing.reading import BatchReader, upload_local_file, upload_table
from uploads.importing.stats import ImportStats, ImportTiming
from uploads.importing.writing import (
    BatchWriter,
    upload_checkpoint_save,
    upload_errors_save,
    upload_finish_save,
)
from uploads.models import ErrorPolicy, Upload
from uploads.readahead import read_ahead
from uploads.readers import Table

logger = logging.getLogger("uploads.importing")


@job_type(
    IMPORT_JOB_TYPE,
    queue=IMPORT_QUEUE,
    timeout=3600,
    max_attempts=3,
    backoff_base=10.0,
    client=False,  # queued by the upload service for an upload it has checked
)
def import_upload(ctx: JobContext) -> dict[str, Any]:
    """Import a bulk upload (see uploads.importing.job)."""
    upload = Upload.objects.filter(pk=str(ctx.data.get("upload_id", ""))).first()
    if upload is None:
        raise PermanentError("the upload was deleted before it could be imported")
    try:
        importer = get_import_type(upload.import_type)
    except UnknownImportType as exc:
        raise PermanentError(str(exc)) from None
    return UploadImport(upload, importer, ctx).run()


def upload_job_result(upload: Upload) -> dict[str, Any]:
    """The import's job result, derived from its Upload, where the counts, the duration and the
    report are stored once. The bulk-upload API, its live messages and the pages read the Upload;
    this summary is for the generic jobs API and job_status messages, which show any job's
    result."""
    return {
        "upload_id": str(upload.pk),
        "validation_stats": upload.validation_stats,
        "database_stats": upload.database_stats,
        "dry_run": upload.dry_run,
        "error_report": bool(upload.error_report),
        "processing_duration_ms": upload.processing_duration_ms,
    }


class UploadImport:
    """One run of an upload's import: from its checkpoint (if an earlier run left one) to the
    end of its file, batch by batch, or all at once under all_or_nothing."""

    def __init__(self, upload: Upload, importer: type[ImportType], ctx: JobContext) -> None:
        self.upload, self.importer, self.ctx = upload, importer, ctx
        self.writing = not upload.dry_run
        self.writer = BatchWriter(importer, mode=upload.mode)
        checkpoint = upload.checkpoint or {}
        self.resume_after = int(checkpoint.get("row", 0))
        self.stats = ImportStats(**checkpoint.get("stats", {}))
        self.timing = ImportTiming()
        self.began = time.monotonic()

    def run(self) -> dict[str, Any]:
        # Errors past the checkpoint belong to work that was not committed: it is redone.
        self.upload.errors.filter(row_number__gt=self.resume_after).delete()
        with (
            _collector_spared(),
            upload_local_file(self.upload) as path,
            upload_table(self.upload, self.importer, path) as table,
        ):
            self._import(table)
        result = self._finish()
        self._check_preview_policy()
        return result

    def _import(self, table: Table) -> None:
        """Read, check and write the table; the keys seen are let go when it returns, before the
        error report is written."""
        self.ctx.progress(
            stage="validating" if not self.writing else "importing",
            processed=self.stats.total_rows,
            total=table.estimated_rows,
        )
        reader = BatchReader(table, timing=self.timing)
        checker = RowChecker(
            self.importer,
            resume_after=self.resume_after,
            expected_rows=table.estimated_rows,
            timing=self.timing,
        )
        checked = checker.checked(reader.batches())
        if self.upload.policy == ErrorPolicy.ALL_OR_NOTHING and self.writing:
            self._all_or_nothing(checked, table, reader)
        else:
            self._in_batches(checked, table)

    def _check_preview_policy(self) -> None:
        """A dry run says what the import would do: with all_or_nothing, one bad row (or one
        the mode refuses) means the import would write nothing and fail, and so does the dry
        run, keeping its counts and error report (and it cannot be confirmed)."""
        bad = self.stats.invalid_rows + self.stats.duplicate_rows
        if self.writing or self.upload.policy != ErrorPolicy.ALL_OR_NOTHING or not bad:
            return
        raise PermanentError(
            f"{bad} rows are invalid, so the import would write nothing "
            "(policy all_or_nothing); see the error report"
        )

    def _read_ahead(
        self, checked: Iterator[Checked]
    ) -> contextlib.AbstractContextManager[Iterator[Checked]]:
        """The checked batches, read in a thread while the last batch is written, where the
        database works in a process of its own. SQLite works in this one, mostly holding the
        GIL: a thread only added the cost of switching (measured 5% slower)."""
        if connection.vendor == "sqlite":
            return contextlib.nullcontext(checked)
        return read_ahead(checked)

    def _in_batches(self, checked: Iterator[Checked], table: Table) -> None:
        with self._read_ahead(checked) as batches:
            for batch in batches:
                self._import_batch(batch, table)
                del batch

    def _import_batch(self, checked: Checked, table: Table) -> None:
        self.ctx.check_cancelled()
        self.stats.add(checked.counts)
        mark = time.monotonic()
        with transaction.atomic():
            failed = self._write(checked.valid)
            upload_errors_save(self.upload, checked.invalid + failed)
            upload_checkpoint_save(self.upload, row=checked.last_row, stats=self.stats)
        self.timing.write += time.monotonic() - mark
        self._report_progress(table)
        self._throttle(checked.counts.total_rows, mark)
        _forget_queries()

    def _all_or_nothing(
        self, checked: Iterator[Checked], table: Table, reader: BatchReader
    ) -> None:
        batches = []
        with self._read_ahead(checked) as checked_batches:
            for batch in checked_batches:
                self.ctx.check_cancelled()
                self.stats.add(batch.counts)
                upload_errors_save(self.upload, batch.invalid)
                batches.append(batch.valid)
                self._report_progress(table)
                _forget_queries()
        if self.stats.invalid_rows or self.stats.duplicate_rows:
            bad = self.stats.invalid_rows + self.stats.duplicate_rows
            self._finish()
            raise PermanentError(
                f"{bad} rows are invalid, so nothing was imported "
                "(policy all_or_nothing); see the error report"
            )
        with transaction.atomic():
            for valid in batches:
                failed = self._write(valid)
                if failed:  # a row the database refused: the whole import goes
                    upload_errors_save(self.upload, failed)
                    transaction.set_rollback(True)
                    raise PermanentError(
                        f"{len(failed)} rows could not be written, so nothing "
                        "was imported (policy all_or_nothing)"
                    )
            upload_checkpoint_save(self.upload, row=reader.last_row, stats=self.stats)

    def _write(self, rows: list[ParsedRow]) -> list[ParsedRow]:
        """Write the rows (a dry run only decides them: counted as what the import would do);
        returns the rows the mode refuses."""
        decision = self.writer.write(rows) if self.writing else self.writer.preview(rows)
        self.stats.count(decision)
        return decision.refused

    def _report_progress(self, table: Table) -> None:
        done = self.stats.total_rows
        total = max(table.estimated_rows, done)
        self.ctx.progress(processed=done, total=total, message=f"{done:,} of about {total:,} rows")

    def _throttle(self, rows: int, since: float) -> None:
        rate = settings.UPLOAD_THROTTLE_ROWS_PER_SECOND
        if rate:
            time.sleep(max(0.0, rows / rate - (time.monotonic() - since)))

    # -- the end -------------------------------------------------------------------------------
    def _finish(self) -> dict[str, Any]:
        """Store the import's final counts, duration and report on its Upload; the job's
        result is derived from there."""
        upload = self.upload
        duration_ms = int((time.monotonic() - self.began) * 1000)
        upload_finish_save(
            upload, importer=self.importer, stats=self.stats, duration_ms=duration_ms
        )
        self.ctx.progress(
            stage="done",
            processed=self.stats.total_rows,
            total=self.stats.total_rows,
            message="dry run finished: nothing was written"
            if upload.dry_run
            else "import finished",
        )
        t = self.timing
        logger.info(
            "%s %d rows [%d ms; read=%d ms, validate=%d ms, write=%d ms]",
            "previewed (dry run; write: the look-ups)" if upload.dry_run else "imported",
            self.stats.total_rows,
            upload.processing_duration_ms,
            t.read * 1000,
            t.validate * 1000,
            t.write * 1000,
        )
        return upload_job_result(upload)


def _forget_queries() -> None:
    """Under DEBUG, Django keeps the text of every statement in connection.queries (a request
    clears it; a job never ends one): a million-row import kept ~18 MB of key lookups."""
    if settings.DEBUG:
        reset_queries()


@contextlib.contextmanager
def _collector_spared() -> Iterator[None]:
    """The objects that exist before the import (Django's, the process's) are set aside from the
    garbage collector while it runs: every full collection walked them all again, a sixth of an
    import's CPU time. A process that freezes objects itself is left as it is."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
