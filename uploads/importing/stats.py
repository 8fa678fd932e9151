"""The counts of an import, kept while it runs and stored on its Upload (validation_stats,
database_stats) with each checkpoint, and the time spent in each of its parts (for its log)."""

from __future__ import annotations

from dataclasses import dataclass, fields

from uploads.importing.deciding import Decision


@dataclass
class ImportStats:
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

    def add(self, other: ImportStats) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def count(self, decision: Decision) -> None:
        """Count what a batch came to; a refused row was counted valid, and is now invalid."""
        refused = len(decision.refused)
        self.created += len(decision.create)
        self.updated += len(decision.update)
        self.unchanged += decision.unchanged
        self.failed += refused
        self.valid_rows -= refused
        self.invalid_rows += refused


@dataclass
class ImportTiming:
    """Seconds spent reading, checking (validate) and writing."""

    read: float = 0.0
    validate: float = 0.0
    write: float = 0.0
