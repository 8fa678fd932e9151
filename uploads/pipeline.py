"""The `uploads.import` job: validate a file row by row and write it in batches.

Each batch is written in one transaction together with its row errors and the checkpoint (the last
row number done and the running stats). A rerun after a crash resumes after the last committed
batch, so exactly the file's rows end up in the table, never twice, never missing. With
`all_or_nothing` the rows are validated first and written in a single transaction, or not at all.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import logging
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, reset_queries, transaction

from jobs.context import JobContext
from jobs.registry import PermanentError, job_type
from jobs.text import sanitise
from uploads.importers import UnknownImportType, get_import_type
from uploads.importers.base import ImportType, ParsedRow, RowProblem
from uploads.importing import IMPORT_JOB_TYPE, IMPORT_QUEUE
from uploads.importing.deciding import Decision, Target, batch_decide
from uploads.keys import KeySet
from uploads.models import ErrorPolicy, ImportMode, Upload, UploadError
from uploads.readahead import read_ahead
from uploads.readers import FileRefused, Table, open_table
from uploads.reports import error_report_build
from uploads.writers import rows_existing, rows_insert, rows_update

logger = logging.getLogger("uploads.pipeline")
BATCH_SIZE = 2000


@dataclass
class Stats:
    total_rows: int = 0
    valid_rows: int = 0
    invalid_rows: int = 0
    duplicate_rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0

    def validation(self) -> dict[str, int]:
        return {
            k: getattr(self, k)
            for k in ("total_rows", "valid_rows", "invalid_rows", "duplicate_rows")
        }

    def database(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in ("created", "updated", "unchanged", "failed")}

    def add(self, other: Stats) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


@dataclass
class Checked:
    """A batch read and validated, ready to be written; `counts` are its validation stats."""

    last_row: int
    valid: list[ParsedRow]
    invalid: list[ParsedRow]
    counts: Stats


@job_type(
    IMPORT_JOB_TYPE,
    queue=IMPORT_QUEUE,
    timeout=3600,
    max_attempts=3,
    backoff_base=10.0,
    client=False,  # queued by the upload service for an upload it has checked
)
def import_upload(ctx: JobContext) -> dict[str, Any]:
    """Import a bulk upload (see uploads.pipeline)."""
    upload = Upload.objects.filter(pk=str(ctx.data.get("upload_id", ""))).first()
    if upload is None:
        raise PermanentError("the upload was deleted before it could be imported")
    try:
        importer = get_import_type(upload.import_type)
    except UnknownImportType as exc:
        raise PermanentError(str(exc)) from None
    return UploadImport(upload, importer, ctx).run()


class UploadImport:
    def __init__(self, upload: Upload, importer: type[ImportType], ctx: JobContext) -> None:
        self.upload, self.importer, self.ctx = upload, importer, ctx
        self.writing = not upload.dry_run
        self.all_new = upload.mode != ImportMode.UPDATE_ONLY  # see _create_all
        checkpoint = upload.checkpoint or {}
        self.resume_after = int(checkpoint.get("row", 0))
        self.stats = Stats(**checkpoint.get("stats", {}))
        self.seen = KeySet()
        self.target = Target.of(importer)
        self.timing = {"read": 0.0, "validate": 0.0, "write": 0.0}
        self.last_row = 0
        self.began = time.monotonic()

    def run(self) -> dict[str, Any]:
        # Errors past the checkpoint belong to work that was not committed: it is redone.
        self.upload.errors.filter(row_number__gt=self.resume_after).delete()
        with _collector_spared(), self._local_file() as path, self._table(path) as table:
            self._check_size(table)
            self.seen = KeySet(expected=table.estimated_rows)
            self.ctx.progress(
                stage="validating" if not self.writing else "importing",
                processed=self.stats.total_rows,
                total=table.estimated_rows,
            )
            if self.upload.policy == ErrorPolicy.ALL_OR_NOTHING and self.writing:
                self._all_or_nothing(table)
            else:
                self._in_batches(table)
        self.seen = KeySet()  # the keys are done with: the report is written without them
        result = self._finish()
        self._check_preview_policy()
        return result

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

    # -- reading -------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _local_file(self) -> Iterator[Path]:
        try:
            yield Path(self.upload.file.path)
        except NotImplementedError:  # remote storage: work on a local copy
            with tempfile.NamedTemporaryFile(suffix=f".{self.upload.file_type}") as copy:
                with self.upload.file.open("rb") as source:
                    shutil.copyfileobj(source, copy)
                copy.flush()
                yield Path(copy.name)

    @contextlib.contextmanager
    def _table(self, path: Path) -> Iterator[Table]:
        try:
            table = open_table(
                path,
                self.upload.file_type,
                self.importer,
                max_uncompressed=settings.UPLOAD_MAX_UNCOMPRESSED_BYTES,
            )
        except FileRefused as exc:
            raise PermanentError(str(exc)) from None
        except FileNotFoundError:
            raise PermanentError("the uploaded file is missing from storage") from None
        try:
            yield table
        except FileRefused as exc:  # damage found past the header: a retry would find it again
            raise PermanentError(str(exc)) from None
        finally:
            table.close()

    def _check_size(self, table: Table) -> None:
        if table.estimated_rows > settings.UPLOAD_MAX_ROWS:
            raise PermanentError(
                f"the file has {table.estimated_rows:,} rows; at most "
                f"{settings.UPLOAD_MAX_ROWS:,} are accepted (UPLOAD_MAX_ROWS)"
            )

    def _batches(self, table: Table) -> Iterator[list[tuple[int, dict[str, Any]]]]:
        batch: list[tuple[int, dict[str, Any]]] = []
        mark = time.monotonic()
        for number, raw in table.rows:
            batch.append((number, raw))
            self.last_row = number
            if len(batch) >= BATCH_SIZE:
                self.timing["read"] += time.monotonic() - mark
                yield batch
                batch, mark = [], time.monotonic()
        if batch:
            self.timing["read"] += time.monotonic() - mark
            yield batch

    # -- validation ----------------------------------------------------------------------------
    def _checked(self, table: Table) -> Iterator[Checked]:
        """The batches past the checkpoint, validated (in the read-ahead thread: no database)."""
        for batch in self._batches(table):
            if batch[-1][0] <= self.resume_after:
                self._replay(batch)
            elif batch[0][0] <= self.resume_after:
                yield self._validate([item for item in batch if item[0] > self.resume_after])
            else:
                yield self._validate(batch)
            del batch  # the next batch is read without this one's rows still alive

    def _validate(self, batch: list[tuple[int, dict[str, Any]]]) -> Checked:
        """The batch's valid rows and rows with problems, counted; duplicates within the file
        count as problems of the later row."""
        mark = time.monotonic()
        parse, key, seen = self.importer.parse, self.importer.natural_key, self.seen
        valid, invalid, duplicates = [], [], 0
        for number, raw in batch:
            row = parse(number, raw)
            row.values["_raw"] = raw
            if row.problems:
                invalid.append(row)
                continue
            if not seen.add(row.values[key]):
                row.problems.append(
                    RowProblem(
                        key, "duplicate", f"{key} {row.values[key]} appears earlier in the file"
                    )
                )
                invalid.append(row)
                duplicates += 1
                continue
            valid.append(row)
        counts = Stats(
            total_rows=len(batch),
            valid_rows=len(valid),
            invalid_rows=len(invalid) - duplicates,
            duplicate_rows=duplicates,
        )
        self.timing["validate"] += time.monotonic() - mark
        return Checked(batch[-1][0], valid, invalid, counts)

    def _replay(self, batch: list[tuple[int, dict[str, Any]]]) -> None:
        """Rows a previous run committed: only their keys matter now (for duplicates)."""
        for _, raw in batch:
            key = self.importer.key_of(raw)
            if key is not None:
                self.seen.add(key)

    # -- writing -------------------------------------------------------------------------------
    def _read_ahead(self, table: Table) -> contextlib.AbstractContextManager[Iterator[Checked]]:
        """The validated batches, read in a thread while the last batch is written, where the
        database works in a process of its own. SQLite works in this one, mostly holding the
        GIL: a thread only added the cost of switching (measured 5% slower)."""
        if connection.vendor == "sqlite":
            return contextlib.nullcontext(self._checked(table))
        return read_ahead(self._checked(table))

    def _in_batches(self, table: Table) -> None:
        with self._read_ahead(table) as batches:
            for checked in batches:
                self._import_batch(checked, table)
                del checked

    def _import_batch(self, checked: Checked, table: Table) -> None:
        self.ctx.check_cancelled()
        self.stats.add(checked.counts)
        mark = time.monotonic()
        with transaction.atomic():
            failed = self._write(checked.valid) if self.writing else self._preview(checked.valid)
            self._save_errors(checked.invalid + failed)
            self._save_checkpoint(checked.last_row)
        self.timing["write"] += time.monotonic() - mark
        self._report_progress(table)
        self._throttle(checked.counts.total_rows, mark)
        _forget_queries()

    def _all_or_nothing(self, table: Table) -> None:
        batches = []
        with self._read_ahead(table) as checked_batches:
            for checked in checked_batches:
                self.ctx.check_cancelled()
                self.stats.add(checked.counts)
                self._save_errors(checked.invalid)
                batches.append(checked.valid)
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
                    self._save_errors(failed)
                    transaction.set_rollback(True)
                    raise PermanentError(
                        f"{len(failed)} rows could not be written, so nothing "
                        "was imported (policy all_or_nothing)"
                    )
            self._save_checkpoint(self.last_row)

    def _write(self, rows: list[ParsedRow]) -> list[ParsedRow]:
        """Create, update or leave each row per the mode; returns the rows the mode refuses."""
        if not rows or (self.all_new and self._create_all(rows)):
            return []
        stored = self._stored_rows([row.values[self.target.key] for row in rows])
        self.all_new = not stored and self.upload.mode != ImportMode.UPDATE_ONLY
        decision = batch_decide(rows, stored=stored, mode=self.upload.mode, target=self.target)
        rows_insert(self.importer.model, decision.create)
        rows_update(
            self.importer.model, self.target.key, decision.update, columns=self.target.names
        )
        return self._count(decision)

    def _preview(self, rows: list[ParsedRow]) -> list[ParsedRow]:
        """A dry run's _write: the same look-up of the stored rows and the same decisions, counted
        as what the import would do, with nothing written."""
        if not rows:
            return []
        stored = self._stored_rows([row.values[self.target.key] for row in rows])
        decision = batch_decide(rows, stored=stored, mode=self.upload.mode, target=self.target)
        return self._count(decision)

    def _count(self, decision: Decision) -> list[ParsedRow]:
        """Count the decision; a refused row was counted valid, and is now invalid."""
        refused = len(decision.refused)
        self.stats.created += len(decision.create)
        self.stats.updated += len(decision.update)
        self.stats.unchanged += decision.unchanged
        self.stats.failed += refused
        self.stats.valid_rows -= refused
        self.stats.invalid_rows += refused
        return decision.refused

    def _create_all(self, rows: list[ParsedRow]) -> bool:
        """Insert the batch without looking its keys up first, as long as the batches before it
        found none stored (a new list: the usual import). A stored key makes the insert fail:
        it is rolled back to a savepoint, and the batch (and the next) go the careful way."""
        try:
            with transaction.atomic():
                rows_insert(self.importer.model, [row.values for row in rows])
        except IntegrityError:
            self.all_new = False
            return False
        self.stats.created += len(rows)
        return True

    def _stored_rows(self, keys: list[Any]) -> dict[Any, tuple[Any, ...]]:
        """The stored values (`names`) of the rows whose natural key is in `keys`, by key. The
        keys are probed first with one plain query: the ORM's lookup only runs for those found."""
        model, key, names = self.importer.model, self.target.key, self.target.names
        found = rows_existing(model, key, keys)
        if not found:
            return {}
        at = names.index(key)
        stored = model._default_manager.filter(**{f"{key}__in": found}).values_list(*names)
        return {values[at]: values for values in stored}

    def _save_errors(self, rows: list[ParsedRow]) -> None:
        UploadError.objects.bulk_create(
            [
                UploadError(
                    upload=self.upload,
                    row_number=row.row_number,
                    column=problem.column,
                    code=problem.code,
                    message=problem.message,
                    raw_values=_jsonable(row.values.get("_raw", {})),
                )
                for row in rows
                for problem in row.problems
            ],
            batch_size=1000,
        )

    def _save_checkpoint(self, row_number: int) -> None:
        self.upload.checkpoint = {"row": row_number, "stats": asdict(self.stats)}
        self.upload.validation_stats = self.stats.validation()
        self.upload.database_stats = self.stats.database()
        self.upload.save(update_fields=["checkpoint", "validation_stats", "database_stats"])

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
        upload = self.upload
        upload.validation_stats = self.stats.validation()
        upload.database_stats = self.stats.database()
        upload.processing_duration_ms = int((time.monotonic() - self.began) * 1000)
        fields = ["validation_stats", "database_stats", "processing_duration_ms"]
        if upload.errors.exists():
            error_report_build(upload, self.importer)
            fields.append("error_report")
        upload.save(update_fields=fields)
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
            t["read"] * 1000,
            t["validate"] * 1000,
            t["write"] * 1000,
        )
        return {
            "upload_id": str(upload.pk),
            "validation_stats": upload.validation_stats,
            "database_stats": upload.database_stats,
            "dry_run": upload.dry_run,
            "error_report": bool(upload.error_report),
            "processing_duration_ms": upload.processing_duration_ms,
        }


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


def _jsonable(raw: dict[str, Any]) -> dict[str, Any]:
    """The raw values of a bad row as stored for its report: dates as ISO text, and text that
    no database stores (NUL, lone surrogates) with those characters shown as escapes."""
    return {k: _storable(v) for k, v in raw.items()}


def _storable(value: Any) -> Any:
    """A date cell (a datetime at midnight) becomes its ISO date, which an upload of the fixed
    report reads as the same date."""
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date().isoformat()
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    return sanitise(value) if isinstance(value, str) else value
