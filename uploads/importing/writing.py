"""Writing an import: each batch's rows by the decision of its mode, the bad rows with their
reasons, and the checkpoint and the running counts on the Upload, all in the caller's
transaction; at the end the Upload's final counts, duration and error report.

The SQL of a batch is uploads.writers' (COPY or one executemany, one plain key probe).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Any

from django.db import IntegrityError, transaction

from jobs.text import sanitise
from uploads.importers.base import ImportType, ParsedRow
from uploads.importing.deciding import Decision, Target, batch_decide
from uploads.importing.stats import ImportStats
from uploads.models import ImportMode, Upload, UploadError
from uploads.reports import error_report_build
from uploads.writers import rows_existing, rows_insert, rows_update


class BatchWriter:
    """Writes batches of valid rows by the mode (or, for a dry run, only decides them)."""

    def __init__(self, importer: type[ImportType], *, mode: str) -> None:
        self.model, self.target, self.mode = importer.model, Target.of(importer), mode
        self.all_new = mode != ImportMode.UPDATE_ONLY  # see _insert_all

    def write(self, rows: list[ParsedRow]) -> Decision:
        """Create, update or leave each row per the mode; what was done, and the refused rows."""
        if not rows:
            return Decision()
        if self.all_new and (created := self._insert_all(rows)) is not None:
            return Decision(create=created)
        stored = self._stored_rows(rows)
        self.all_new = not stored and self.mode != ImportMode.UPDATE_ONLY
        decision = batch_decide(rows, stored=stored, mode=self.mode, target=self.target)
        rows_insert(self.model, decision.create)
        rows_update(self.model, self.target.key, decision.update, columns=self.target.names)
        return decision

    def preview(self, rows: list[ParsedRow]) -> Decision:
        """A dry run's write: the same look-up of the stored rows and the same decision, with
        nothing written."""
        if not rows:
            return Decision()
        stored = self._stored_rows(rows)
        return batch_decide(rows, stored=stored, mode=self.mode, target=self.target)

    def _insert_all(self, rows: list[ParsedRow]) -> list[dict[str, Any]] | None:
        """Insert the batch without looking its keys up first, as long as the batches before it
        found none stored (a new list: the usual import). A stored key makes the insert fail:
        it is rolled back to a savepoint, and the batch (and the next) go the careful way
        (None)."""
        values = [row.values for row in rows]
        try:
            with transaction.atomic():
                rows_insert(self.model, values)
        except IntegrityError:
            self.all_new = False
            return None
        return values

    def _stored_rows(self, rows: list[ParsedRow]) -> dict[Any, tuple[Any, ...]]:
        """The stored values (target.names) of the rows whose natural key is among the rows', by
        key. The keys are probed first with one plain query: the ORM's lookup only runs for those
        found."""
        key, names = self.target.key, self.target.names
        found = rows_existing(self.model, key, [row.values[key] for row in rows])
        if not found:
            return {}
        at = names.index(key)
        stored = self.model._default_manager.filter(**{f"{key}__in": found}).values_list(*names)
        return {values[at]: values for values in stored}


def upload_errors_save(upload: Upload, rows: list[ParsedRow]) -> None:
    """Each problem of each row, with the row's raw values for the error report."""
    UploadError.objects.bulk_create(
        [
            UploadError(
                upload=upload,
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


def upload_checkpoint_save(upload: Upload, *, row: int, stats: ImportStats) -> None:
    """The last row done and the counts so far: a rerun resumes after `row` with them."""
    upload.checkpoint = {"row": row, "stats": asdict(stats)}
    upload.validation_stats = stats.validation()
    upload.database_stats = stats.database()
    upload.save(update_fields=["checkpoint", "validation_stats", "database_stats"])


def upload_finish_save(
    upload: Upload, *, importer: type[ImportType], stats: ImportStats, duration_ms: int
) -> None:
    """The import's final counts and duration, and its error report when a row had errors."""
    upload.validation_stats = stats.validation()
    upload.database_stats = stats.database()
    upload.processing_duration_ms = duration_ms
    fields = ["validation_stats", "database_stats", "processing_duration_ms"]
    if upload.errors.exists():
        error_report_build(upload, importer)
        fields.append("error_report")
    upload.save(update_fields=fields)


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
