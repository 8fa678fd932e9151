"""Checking an import's rows: each row parsed and validated by its import type, and a natural key
seen earlier in the file is a problem of the later row (a duplicate).

It runs in the read-ahead thread while the last batch is written: no database here.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from uploads.importers.base import ImportType, ParsedRow, RowProblem
from uploads.importing.reading import Batch
from uploads.importing.stats import ImportStats, ImportTiming
from uploads.keys import KeySet


@dataclass
class Checked:
    """A batch read and validated, ready to be written; `counts` are its validation stats."""

    last_row: int
    valid: list[ParsedRow]
    invalid: list[ParsedRow]
    counts: ImportStats


class RowChecker:
    """Checks the batches past a checkpoint. The rows up to it were committed by an earlier run:
    only their keys are taken in, so that a later row repeating one is still a duplicate. The
    keys seen are held as long as the checker lives. The time spent is added to `timing`."""

    def __init__(
        self,
        importer: type[ImportType],
        *,
        resume_after: int,
        expected_rows: int,
        timing: ImportTiming,
    ) -> None:
        self.importer, self.resume_after, self.timing = importer, resume_after, timing
        self.seen = KeySet(expected=expected_rows)

    def checked(self, batches: Iterable[Batch]) -> Iterator[Checked]:
        resume_after = self.resume_after
        for batch in batches:
            if batch[-1][0] <= resume_after:
                self._replay(batch)
            elif batch[0][0] <= resume_after:
                yield self.batch_check([item for item in batch if item[0] > resume_after])
            else:
                yield self.batch_check(batch)
            del batch  # the next batch is read without this one's rows still alive

    def batch_check(self, batch: Batch) -> Checked:
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
        counts = ImportStats(
            total_rows=len(batch),
            valid_rows=len(valid),
            invalid_rows=len(invalid) - duplicates,
            duplicate_rows=duplicates,
        )
        self.timing.validate += time.monotonic() - mark
        return Checked(batch[-1][0], valid, invalid, counts)

    def _replay(self, batch: Batch) -> None:
        """Rows a previous run committed: only their keys matter now (for duplicates)."""
        for _, raw in batch:
            key = self.importer.key_of(raw)
            if key is not None:
                self.seen.add(key)
