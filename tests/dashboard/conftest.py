from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.factories import make_user


@pytest.fixture
def people(db) -> dict[str, User]:  # type: ignore[no-untyped-def]
    return {
        "alice": make_user("alice"),
        "bob": make_user("bob"),
        "viewer": make_user("viewer", "queue_viewer", is_staff=True),
        "operator": make_user("operator", "queue_operator", is_staff=True),
    }


@pytest.fixture
def browser_as(people):  # type: ignore[no-untyped-def]
    """A signed-in Django test client for one of `people`."""

    def sign_in(name: str) -> Client:
        client = Client()
        client.force_login(people[name])
        return client

    return sign_in
