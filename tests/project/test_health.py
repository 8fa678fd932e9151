"""GET /healthz answers 200 when the database and Redis answer, 503 naming what failed."""

from __future__ import annotations

import pytest
from django.db import connections

from tests.conftest import free_port


@pytest.mark.django_db
def test_healthz_is_ok_when_database_and_redis_answer(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}


@pytest.mark.django_db
def test_healthz_names_redis_when_it_is_down(client, settings, tmp_path) -> None:
    settings.REDIS_URL = f"unix://{tmp_path}/nothing-listens.sock"
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["failing"] == ["redis"]
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"].startswith("error: ConnectionError")


@pytest.mark.django_db(transaction=True)
def test_healthz_names_the_database_when_it_is_unreachable(client) -> None:
    conn = connections["default"]
    saved = dict(conn.settings_dict)
    conn.close()
    if conn.vendor == "sqlite":
        conn.settings_dict["NAME"] = "/nonexistent-directory/db.sqlite3"
    else:
        conn.settings_dict.update(HOST="127.0.0.1", PORT=free_port())
    try:
        response = client.get("/healthz")
    finally:
        conn.close()
        conn.settings_dict.clear()
        conn.settings_dict.update(saved)
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["database"]
    assert body["checks"]["redis"] == "ok"
    assert body["checks"]["database"].startswith("error: OperationalError")


def test_healthz_refuses_other_methods(client) -> None:
    assert client.post("/healthz").status_code == 405
