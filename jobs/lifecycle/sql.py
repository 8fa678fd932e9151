"""The worker's two statements per job, in SQL.

Every job is claimed and completed: building these through the ORM, and reading the row back,
cost the worker process more than the statements themselves. Each UPDATE returns the whole row
(RETURNING: PostgreSQL, SQLite >= 3.35), so no SELECT follows. The same text runs on both
backends; values go through each field's get_db_prep_save and results through the ORM's
converters, as a QuerySet would.
"""

from __future__ import annotations

from typing import Any

from django.db import connections, router
from django.db.models.sql import Query

from jobs.models import QueueJob

_JOB_FIELDS = QueueJob._meta.concrete_fields
_JOB_FIELD = {f.name: f for f in _JOB_FIELDS}
_ALIASES = {"expected": "status"}  # a value that the WHERE compares with a column

# waiting -> active, the compare-and-set refused while the job's queue is paused
CLAIM = (
    "UPDATE queue_jobs SET run_id = %(run_id)s, status = %(status)s, started_at = %(started_at)s,"
    " completed_at = NULL, attempts = attempts + 1, worker_id = %(worker)s,"
    " updated_at = %(updated_at)s"
    " WHERE id = %(id)s AND status = %(expected)s AND NOT EXISTS (SELECT 1 FROM queue_states"
    " WHERE queue_states.queue = queue_jobs.queue AND queue_states.paused)"
)
# active -> completed, only by the attempt (run) that holds the job
COMPLETE = (
    "UPDATE queue_jobs SET status = %(status)s, result = %(result)s,"
    " completed_at = %(completed_at)s, progress_percent = 100, error_message = '', traceback = '',"
    " updated_at = %(updated_at)s"
    " WHERE id = %(id)s AND status = %(expected)s AND run_id = %(run_id)s"
)


def job_update(sql: str, **values: Any) -> QueueJob | None:
    """Run one of the UPDATEs above; the updated row, or None if the compare-and-set lost."""
    db = router.db_for_write(QueueJob)
    connection = connections[db]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in _JOB_FIELDS)
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} RETURNING {columns}", _job_params(values, connection))
        row = cursor.fetchone()
    if row is None:
        return None
    compiler = connection.ops.compiler("SQLCompiler")(Query(QueueJob), connection, db)
    converters = compiler.get_converters([f.get_col(QueueJob._meta.db_table) for f in _JOB_FIELDS])
    (converted,) = compiler.apply_converters([row], converters)
    return QueueJob.from_db(db, [f.attname for f in _JOB_FIELDS], converted)


def _job_params(values: dict[str, Any], connection: Any) -> dict[str, Any]:
    """Each value as its column's field would store it (UUIDs, datetimes, JSON differ by
    backend); `expected` is a status."""
    return {
        name: _JOB_FIELD[_ALIASES.get(name, name)].get_db_prep_save(value, connection)
        for name, value in values.items()
    }
