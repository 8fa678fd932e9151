"""Schemathesis against the app's own OpenAPI schema: every operation, requests generated from
the schema (valid and invalid), sent to the real Django app in-process as an anonymous client, a
user who is not staff and a staff operator. Any 5xx, or any answer that the schema does not
describe (status, headers, body), fails."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from jobs.api import examples
from jobs.models import JobStatus, QueueMetric, QueueWorker
from tests.api.conftest import client_for
from tests.factories import make_job, make_user
from uploads.services import upload_create_from_records

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(params=["anonymous", "uploader", "operator"])
def credentials(request, db) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The Authorization header of each kind of caller (none for the anonymous one)."""
    staff = make_user("fuzzer", "queue_operator", is_staff=True)
    uploader = make_user("uploader")
    _fill_ledger(staff)
    _fill_ledger_of(uploader)
    if request.param == "anonymous":
        return {}
    user = staff if request.param == "operator" else uploader
    return {"Authorization": client_for(user)._credentials["HTTP_AUTHORIZATION"]}


def _fill_ledger(user: Any) -> None:
    """Something of every kind to list, so that real rows are checked against the schema; the
    schema's example job exists, so the example requests reach a real job."""
    now = timezone.now()
    make_job(id=examples.JOB_ID, status=JobStatus.FAILED, attempts=3, error_message="boom")
    make_job(status=JobStatus.COMPLETED, result={"rows": 3}, started_at=now, completed_at=now)
    make_job(status=JobStatus.SCHEDULED, scheduled_at=now, created_by=user, batch_id="b1")
    make_job(status=JobStatus.ACTIVE, started_at=now, progress_total=10, progress_processed=4)
    QueueWorker.objects.create(
        name="w1", hostname="h", pid=1, queues=["default"], last_heartbeat=now, started_at=now
    )
    QueueMetric.objects.create(queue="default", captured_at=now, interval_seconds=30)
    upload_create_from_records(
        records=[{"imei": "490154203237518"}], import_type="devices", uploaded_by=user
    )


def _fill_ledger_of(user: Any) -> None:
    """The uploader's own jobs and upload, beside the others' that it may not see."""
    make_job(status=JobStatus.FAILED, attempts=3, error_message="boom", created_by=user)
    upload_create_from_records(
        records=[{"imei": "490154203237518"}], import_type="devices", uploaded_by=user
    )


@pytest.fixture(autouse=True)
def generous_throttles(settings: Any) -> None:
    # The throttles have their own tests; here they would only turn later examples into 429s.
    rates = dict.fromkeys(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "100000/min")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


# Loaded from the app itself, in-process (WSGI), when the module is collected: the schema view
# needs no database. (schemathesis.pytest.from_fixture would be lazier, but its node renaming
# does not work with pytest 9.)
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_operation_answers_as_its_schema_says(case: Any, credentials: dict[str, str]) -> None:
    case.call_and_validate(headers=credentials, excluded_checks=LENIENCY)


# Every check runs except two that judge input the schema cannot fully describe, not answers:
# - positive_data_acceptance wants a 2xx for any schema-valid input, but a valid upload must be
#   a real xlsx/CSV file (random bytes are rightly 415) and a job's `data` must suit its type;
# - negative_data_rejection wants a 4xx for any schema-invalid input, but DRF accepts harmless
#   equivalents by design (0 for "0", false for 0.0, an empty query value as no filter).
LENIENCY = [positive_data_acceptance, negative_data_rejection]
