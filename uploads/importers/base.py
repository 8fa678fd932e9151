"""An import type is one declarative class: columns (with aliases and a parser each), the target
model and its natural key, like a ModelAdmin:

    class DeviceImport(ImportType):
        key = "devices"
        model = Device
        natural_key = "imei"
        columns = [Column("imei", validators.imei, required=True), ...]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.db import models

from jobs.text import UNSTORABLE, unstorable_why
from uploads.cells import FormulaWithoutValue
from uploads.validators import Parser


def normalise_header(value: Any) -> str:
    """Headers match ignoring case, spaces, underscores, hyphens and dots."""
    return re.sub(r"[\s_.\-]+", "", str(value or "")).lower()


@dataclass(frozen=True)
class Column:
    name: str
    parse: Parser
    required: bool = False
    aliases: tuple[str, ...] = ()
    example: str = ""

    def matches(self, header: str) -> bool:
        return header in {normalise_header(n) for n in (self.name, *self.aliases)}


@dataclass
class RowProblem:
    column: str
    code: str
    message: str


@dataclass
class ParsedRow:
    row_number: int
    values: dict[str, Any] = field(default_factory=dict)
    problems: list[RowProblem] = field(default_factory=list)


def _formula_problem(name: str, formula: str) -> RowProblem:
    return RowProblem(
        name,
        "formula",
        f"{name}: the cell holds a formula without a value ({formula}); open the file in a "
        "spreadsheet program and save it, or paste the values, then upload it again",
    )


class ImportType:
    key: ClassVar[str]
    label: ClassVar[str]
    model: ClassVar[type[models.Model]]
    natural_key: ClassVar[str]
    columns: ClassVar[list[Column]]

    @classmethod
    def column_for(cls, header: Any) -> Column | None:
        wanted = normalise_header(header)
        return next((column for column in cls.columns if column.matches(wanted)), None)

    @classmethod
    def required(cls) -> list[Column]:
        return [column for column in cls.columns if column.required]

    @classmethod
    def parse(cls, row_number: int, raw: dict[str, Any]) -> ParsedRow:
        """Parse every column, then the checks across columns."""
        values: dict[str, Any] = {}
        problems: list[RowProblem] = []
        for name, parse, required in cls._parsers():
            value = raw.get(name)
            if value is None or (isinstance(value, str) and not value.strip()):
                if required:
                    problems.append(RowProblem(name, "required", f"{name} is required"))
                continue
            if value.__class__ is FormulaWithoutValue:
                problems.append(_formula_problem(name, value))
                continue
            if isinstance(value, str) and UNSTORABLE.search(value):
                problems.append(RowProblem(name, "invalid", f"{name} {unstorable_why(value)}"))
                continue
            try:
                values[name] = parse(value)
            except ValueError as exc:
                problems.append(RowProblem(name, "invalid", str(exc)))
        if not problems:
            problems.extend(cls.check_row(values))
        return ParsedRow(row_number, values, problems)

    @classmethod
    def _parsers(cls) -> list[tuple[str, Parser, bool]]:
        """(name, parser, required) per column, built once per class: parse() runs per row."""
        cached: list[tuple[str, Parser, bool]] | None = cls.__dict__.get("_parser_list")
        if cached is None:
            cached = [(c.name, c.parse, c.required) for c in cls.columns]
            cls._parser_list = cached  # type: ignore[attr-defined]
        return cached

    @classmethod
    def check_row(cls, values: dict[str, Any]) -> list[RowProblem]:
        """Checks that involve several columns; override in a subclass."""
        return []

    @classmethod
    def key_of(cls, raw: dict[str, Any]) -> Any:
        """The natural key of a raw row, parsed, or None when it does not parse."""
        column = next(c for c in cls.columns if c.name == cls.natural_key)
        try:
            return column.parse(raw.get(column.name))
        except (ValueError, TypeError):
            return None
