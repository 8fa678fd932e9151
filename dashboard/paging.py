"""Cursor pages over a queryset, ordered by one column and the primary key.

A cursor names the last row shown (its sort value and id), so a page deep in a million rows costs
what the first page costs: an index range scan, never an OFFSET. Rows with no value in the sort
column (a job not started yet, sorted by start) come last in either direction.

A column that cannot be null is ordered plainly, with no NULLS LAST and no IS NULL branch in the
cursor's condition: PostgreSQL walks a plain b-tree backwards as DESC NULLS FIRST, so it can read
`ORDER BY created_at DESC` off the index, but sorts every matching row for `DESC NULLS LAST`.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, cast
from uuid import UUID

from django.db.models import F, Field, Model, Q, QuerySet

PAGE_SIZE = 50


class BadCursor(ValueError):
    pass


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    next_cursor: str | None  # older rows (further along the order)
    prev_cursor: str | None  # back towards the first page


@dataclass(frozen=True)
class _Position:
    value: Any
    pk: str
    backwards: bool


def page_of(
    rows: QuerySet[Any], *, column: str, descending: bool, cursor: str = "", size: int = PAGE_SIZE
) -> Page:
    """One page of `rows` ordered by `column` then pk, starting after `cursor`."""
    position = _decode(cursor, rows.model, column) if cursor else None
    backwards = bool(position and position.backwards)
    forward_desc = descending != backwards
    nullable = _field(rows.model, column).null
    nulls = None if not nullable else "last" if not backwards else "first"
    ordered = rows.order_by(*_order(column, descending=forward_desc, nulls=nulls))
    if position is not None:
        ordered = ordered.filter(
            _after(column, position, descending=forward_desc, nullable=nullable)
        )
    found = list(ordered[: size + 1])
    more, found = len(found) > size, found[:size]
    if backwards:
        found.reverse()
    at_start = position is None or (backwards and not more)
    has_next = more if not backwards else True
    return Page(
        rows=found,
        next_cursor=_encode(found[-1], column, backwards=False) if found and has_next else None,
        prev_cursor=None if at_start or not found else _encode(found[0], column, backwards=True),
    )


def _order(column: str, *, descending: bool, nulls: str | None) -> list[Any]:
    """ORDER BY the column then pk; `nulls` "last", "first" or None (the column has none)."""
    field = F(column)
    expression = field.desc if descending else field.asc
    pk = F("pk").desc() if descending else F("pk").asc()
    return [expression(**({f"nulls_{nulls}": True} if nulls else {})), pk]


def _after(column: str, position: _Position, *, descending: bool, nullable: bool) -> Q:
    """Rows that come after `position` in the order (the same column value, then by pk)."""
    beyond = "lt" if descending else "gt"
    pk_after = Q(**{f"pk__{beyond}": position.pk})
    if position.value is None:
        # Among the rows with no value (last going forwards, first going backwards).
        if position.backwards:
            return Q(**{f"{column}__isnull": False}) | (Q(**{f"{column}__isnull": True}) & pk_after)
        return Q(**{f"{column}__isnull": True}) & pk_after
    near = "lte" if descending else "gte"
    # The redundant `near` bound lets the database walk the column's index from the cursor on.
    inside = Q(**{f"{column}__{near}": position.value}) & (
        Q(**{f"{column}__{beyond}": position.value}) | (Q(**{column: position.value}) & pk_after)
    )
    if position.backwards or not nullable:
        return inside
    return inside | Q(**{f"{column}__isnull": True})


def _encode(row: Model, column: str, *, backwards: bool) -> str:
    value = getattr(row, column)
    if isinstance(value, dt.datetime):
        value = value.isoformat()
    raw = json.dumps([value, str(row.pk), backwards], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _field(model: type[Model], column: str) -> Field[Any, Any]:
    return cast("Field[Any, Any]", model._meta.get_field(column))


def _decode(cursor: str, model: type[Model], column: str) -> _Position:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, pk, backwards = json.loads(raw)
        UUID(pk)
        if value is not None:
            value = _field(model, column).to_python(value)
    except (ValueError, TypeError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadCursor(
            "this page link is damaged or out of date: start from the first page"
        ) from exc
    return _Position(value=value, pk=pk, backwards=bool(backwards))
