"""Who may reach what: every API operation answers 401 without credentials, and /django-rq/
(RQ's own view of the dispatch channel, which bypasses the ledger) is for superusers only."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django_rq.queues import get_queue_by_index
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient
from rq import Queue

from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _operations() -> list[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (method, re.sub(r"\{[^}]+\}", lambda m: _path_value(m.group(0)), path))
        for path, item in schema["paths"].items()
        for method in item
    ]


def _path_value(name: str) -> str:
    return {"{queue}": "default", "{import_type}": "members"}.get(
        name, "00000000-0000-4000-8000-000000000001"
    )


@pytest.mark.parametrize(("method", "path"), _operations())
def test_every_operation_answers_401_without_credentials(method: str, path: str) -> None:
    response = getattr(APIClient(), method)(path)
    assert response.status_code == 401, response.content
    assert response.json()["error"]["code"] == "not_authenticated"


def _staff(name: str, *groups: str, superuser: bool = False) -> User:
    user = make_user(name, *groups, is_staff=True, is_superuser=superuser)
    user.set_password("pw-1234-x")
    user.save()
    return user


@pytest.mark.parametrize(
    "path", ["/django-rq/", "/django-rq/queues/0/", "/django-rq/queues/0/empty/"]
)
def test_django_rq_is_refused_to_staff_who_are_not_superusers(client, path: str) -> None:
    client.force_login(_staff("viewer", "queue_viewer"))
    assert client.get(path).status_code == 403
    assert client.post(path).status_code == 403


def test_django_rq_empty_by_a_queue_viewer_leaves_the_queue_alone(client) -> None:
    shown = get_queue_by_index(0)
    queue = Queue(shown.name, connection=shown.connection)  # plain RQ: enqueued at once
    queue.enqueue("jobs.worker.no_such_function")
    client.force_login(_staff("viewer", "queue_viewer"))
    client.post("/django-rq/queues/0/empty/")
    assert queue.count == 1


def test_django_rq_is_open_to_superusers(client) -> None:
    client.force_login(_staff("root", superuser=True))
    assert client.get("/django-rq/").status_code == 200


def test_django_rq_sends_anonymous_visitors_to_sign_in(client) -> None:
    response = client.get("/django-rq/")
    assert response.status_code == 302
    assert "login" in response["Location"]
