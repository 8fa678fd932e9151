"""Batch writes for imports: COPY (PostgreSQL) or one executemany per batch, values adapted per
column once.

Django's bulk_create prepares every value of every row through the field machinery, which cost
more than the rest of an import together; the target models of an import are plain columns, so
rows are written with the column adapters the backend itself uses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, models
from django.utils import timezone


def _fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def _adapter(field: models.Field[Any, Any]) -> Callable[[Any], Any]:
    if isinstance(field, models.DateTimeField):
        return connection.ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return connection.ops.adapt_datefield_value
    return lambda value: value


def _value(field: models.Field[Any, Any], row: dict[str, Any], now: Any) -> Any:
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return now
    value = row.get(field.attname)
    if value is None and not field.null:
        return field.get_default()  # "" for text columns the file left empty
    return value


def rows_insert(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    fields, now, quote = _fields(model), timezone.now(), connection.ops.quote_name
    adapters = [_adapter(f) for f in fields]
    columns = ", ".join(quote(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks})"
    params = [
        tuple(a(_value(f, row, now)) for f, a in zip(fields, adapters, strict=True)) for row in rows
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # COPY: the fastest way in, by far
            table = quote(model._meta.db_table)
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for values in params:
                    copy.write_row(values)
        else:
            cursor.executemany(sql, params)


def rows_update(model: type[models.Model], key: str, rows: Sequence[dict[str, Any]]) -> None:
    """Set every given column of each row (matched on `key`), and updated_at."""
    if not rows:
        return
    quote = connection.ops.quote_name
    fields = [
        f for f in _fields(model) if f.attname != key and not getattr(f, "auto_now_add", False)
    ]
    fields = [f for f in fields if f.attname in rows[0] or getattr(f, "auto_now", False)]
    key_column = next(f.column for f in model._meta.concrete_fields if f.attname == key)
    adapters = [_adapter(f) for f in fields]
    now = timezone.now()
    sets = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    sql = f"UPDATE {quote(model._meta.db_table)} SET {sets} WHERE {quote(key_column)} = %s"
    params = [
        (*(a(_value(f, row, now)) for f, a in zip(fields, adapters, strict=True)), row[key])
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
