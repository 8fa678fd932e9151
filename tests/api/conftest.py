from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import make_user


def client_for(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def users(db) -> dict[str, User]:  # type: ignore[no-untyped-def]
    return {
        "alice": make_user("alice"),
        "bob": make_user("bob"),
        "province": make_user("province", "province_admin"),
        "viewer": make_user("viewer", "queue_viewer", is_staff=True),
        "operator": make_user("operator", "queue_operator", is_staff=True),
    }


@pytest.fixture
def api(users):  # type: ignore[no-untyped-def]
    return {name: client_for(user) for name, user in users.items()} | {"anonymous": APIClient()}
