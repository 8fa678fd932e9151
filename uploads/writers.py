"""Batch writes for imports: COPY (PostgreSQL) or one executemany per batch, values adapted per
column once.

Django's bulk_create prepares every value of every row through the field machinery, which cost
more than the rest of an import together; the target models of an import are plain columns, so
rows are written with the column adapters the backend itself uses. Parameters are built column
by column (one list comprehension per column, then zip): per cell that is a fraction of what a
per-row, per-field loop costs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, models
from django.utils import timezone


def _fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def _is_auto(field: models.Field[Any, Any]) -> bool:
    return bool(getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False))


def _adapter(field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
    if isinstance(field, models.DateTimeField):
        return connection.ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return connection.ops.adapt_datefield_value
    return None


def _column(field: models.Field[Any, Any], rows: Sequence[dict[str, Any]], now: Any) -> list[Any]:
    """One column's adapted values for every row."""
    adapt = _adapter(field)
    if _is_auto(field):
        return [adapt(now) if adapt else now] * len(rows)
    name = field.attname
    values = [row.get(name) for row in rows]
    if not field.null:  # a value the file left empty gets the default ("" for text columns)
        if callable(field.default):
            values = [field.get_default() if v is None else v for v in values]
        elif None in values:
            default = field.get_default()
            values = [default if v is None else v for v in values]
    if adapt is not None:
        values = [None if v is None else adapt(v) for v in values]
    return values


def _params(
    fields: Sequence[models.Field[Any, Any]], rows: Sequence[dict[str, Any]], now: Any
) -> list[tuple[Any, ...]]:
    return list(zip(*(_column(f, rows, now) for f in fields), strict=True))


def rows_existing(model: type[models.Model], key: str, keys: Sequence[Any]) -> list[Any]:
    """Which of `keys` the table has. One plain query: the ORM's `__in` prepares each value
    through the field, which costs more than the query when most rows are new."""
    if not keys:
        return []
    quote = connection.ops.quote_name
    column = quote(next(f.column for f in model._meta.concrete_fields if f.attname == key))
    sql = f"SELECT {column} FROM {quote(model._meta.db_table)} WHERE {column}"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # one array parameter: cheaper to send and plan
            cursor.execute(f"{sql} = ANY(%s)", [list(keys)])
        else:
            cursor.execute(f"{sql} IN ({', '.join(['%s'] * len(keys))})", list(keys))
        return [found for (found,) in cursor.fetchall()]


def rows_insert(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    fields, now, quote = _fields(model), timezone.now(), connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    params = _params(fields, rows, now)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # COPY: the fastest way in, by far
            table = quote(model._meta.db_table)
            # psycopg's own cursor: its errors are turned into Django's (IntegrityError...) here
            with (
                connection.wrap_database_errors,
                cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
            ):
                for values in params:
                    copy.write_row(values)
        else:
            marks = ", ".join(["%s"] * len(fields))
            sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks})"
            cursor.executemany(sql, params)


def rows_update(
    model: type[models.Model], key: str, rows: Sequence[dict[str, Any]], *, columns: Sequence[str]
) -> None:
    """Set `columns` (and updated_at) of each row, matched on `key`."""
    if not rows:
        return
    quote = connection.ops.quote_name
    fields = [
        f
        for f in _fields(model)
        if f.attname != key
        and not getattr(f, "auto_now_add", False)
        and (f.attname in columns or getattr(f, "auto_now", False))
    ]
    key_field = next(f for f in model._meta.concrete_fields if f.attname == key)
    sets = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    sql = f"UPDATE {quote(model._meta.db_table)} SET {sets} WHERE {quote(key_field.column)} = %s"
    params = _params([*fields, key_field], rows, timezone.now())
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
