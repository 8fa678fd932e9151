"""One Redis connection pool per process, built from settings.REDIS_URL."""

from __future__ import annotations

import functools

import redis
from django.conf import settings
from redis.driver_info import DriverInfo
from redis.utils import get_lib_version

# redis-py reads its own package metadata on every new connection unless told the version; a
# forked work horse connects afresh, and that lookup cost it ~5 ms.
DRIVER = DriverInfo(lib_version=get_lib_version())


def redis_from_url(url: str, **options: object) -> redis.Redis:
    return redis.Redis.from_url(url, driver_info=DRIVER, **options)


@functools.cache
def _client(url: str) -> redis.Redis:
    return redis_from_url(url, socket_connect_timeout=2, health_check_interval=30)


def get_redis() -> redis.Redis:
    return _client(settings.REDIS_URL)


def reset_redis_clients() -> None:
    """Forget pooled connections (after a fork, or when tests switch servers)."""
    _client.cache_clear()
