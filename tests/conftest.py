"""Test infrastructure: a real Redis that the suite owns, and helpers to run real processes.

With REDIS_URL set, the suite uses that server but its own database number (REDIS_TEST_DB,
default 13) and flushes only that database. Without it, the suite starts an embedded server of its
own in a temporary directory and stops it at the end.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings

from queueproject.embedded_redis import EmbeddedRedis
from queueproject.redis_client import reset_redis_clients
from queueproject.redis_settings import redis_settings, redis_url_with_db


def _use_redis(url: str) -> None:
    settings.REDIS_URL = url
    derived = redis_settings(
        url, queues=settings.JOB_QUEUES, default_timeout=settings.JOB_DEFAULT_TIMEOUT
    )
    for name, value in derived.items():
        setattr(settings, name, value)
    reset_redis_clients()


@pytest.fixture(scope="session", autouse=True)
def redis_url() -> Iterator[str]:
    configured = os.environ.get("REDIS_URL")
    if configured:
        url = redis_url_with_db(configured, int(os.environ.get("REDIS_TEST_DB", "13")))
        _use_redis(url)
        yield url
        return
    directory = Path(tempfile.mkdtemp(prefix="qp-redis-"))
    server = EmbeddedRedis(directory)
    server.start(tie_to_parent=True)
    _use_redis(server.url)
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def clean_redis(redis_url: str) -> Iterator[redis.Redis]:
    """Each test starts on an empty database of the suite's own."""
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.close()


@pytest.fixture
def staff_client(client, django_user_model):  # type: ignore[no-untyped-def]
    user = django_user_model.objects.create_user("staff", password="pw-staff-1", is_staff=True)
    client.force_login(user)
    client.user = user
    return client
