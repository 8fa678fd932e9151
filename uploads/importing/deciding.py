"""What a batch's valid rows come to, by the import's mode: created, updated, left unchanged or
refused.

A pure function of the incoming rows and the stored rows of their natural keys: no database, no
state. The writer looks the stored rows up, asks `batch_decide`, and writes what it says.

- upsert: a new key is created, a stored one updated (unchanged when every value is the same).
- create_only: a stored key is refused ("exists").
- update_only: a new key is refused ("not_found").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from uploads.importers.base import ImportType, ParsedRow, RowProblem
from uploads.models import ImportMode


@dataclass(frozen=True)
class Target:
    """The columns an import compares and writes: the natural key, the column names in the order
    stored rows are read, and per column what the database gives back for a value the file left
    empty (None where the column is nullable, else "")."""

    key: str
    names: tuple[str, ...]
    blank: tuple[Any, ...]

    @classmethod
    def of(cls, importer: type[ImportType]) -> Target:
        names = tuple(column.name for column in importer.columns)
        nullable = {f.attname: f.null for f in importer.model._meta.concrete_fields}
        blank = tuple(None if nullable[name] else "" for name in names)
        return cls(key=importer.natural_key, names=names, blank=blank)

    def as_stored(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        """Parsed values as the database gives them back (a missing text is stored as "")."""
        return tuple(
            b if (v := values.get(n)) is None else v
            for n, b in zip(self.names, self.blank, strict=True)
        )


@dataclass
class Decision:
    """The rows to create and to update (their values), how many are unchanged, and the rows the
    mode refuses (each a copy of the incoming row with the reason added)."""

    create: list[dict[str, Any]] = field(default_factory=list)
    update: list[dict[str, Any]] = field(default_factory=list)
    unchanged: int = 0
    refused: list[ParsedRow] = field(default_factory=list)


def batch_decide(
    rows: Sequence[ParsedRow],
    *,
    stored: Mapping[Any, tuple[Any, ...]],
    mode: str,
    target: Target,
) -> Decision:
    """Sort valid rows by `mode`, given `stored`: the stored values (`target.names`, in order) of
    the rows whose natural key the table has, by key; a key missing from it is new."""
    key, decision = target.key, Decision()
    for row in rows:
        values = row.values
        current = stored.get(values[key])
        if current is None:
            if mode == ImportMode.UPDATE_ONLY:
                why = f"{key} {values[key]} does not exist (mode update_only)"
                decision.refused.append(_refused(row, RowProblem(key, "not_found", why)))
            else:
                decision.create.append(values)
        elif mode == ImportMode.CREATE_ONLY:
            why = f"{key} {values[key]} already exists (mode create_only)"
            decision.refused.append(_refused(row, RowProblem(key, "exists", why)))
        elif current == target.as_stored(values):
            decision.unchanged += 1
        else:
            decision.update.append(values)
    return decision


def _refused(row: ParsedRow, problem: RowProblem) -> ParsedRow:
    return ParsedRow(row.row_number, row.values, [*row.problems, problem])
