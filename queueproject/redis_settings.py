"""Everything that talks to Redis is configured from one URL: RQ queues, cache, channel layer."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

PRIORITY_LEVELS = range(1, 11)  # 1 = highest


def rq_queue_name(queue: str, priority: int) -> str:
    """The RQ queue that carries one priority level of a logical queue.

    Workers listen on a queue's levels in order, and RQ pops from the first non-empty one, which
    makes priorities strict between levels and FIFO within one.
    """
    return f"{queue}.p{priority:02d}"


def worker_queue_names(queues: list[str]) -> list[str]:
    """RQ queues a worker listens on, highest priority first across all logical queues."""
    return [rq_queue_name(queue, level) for level in PRIORITY_LEVELS for queue in queues]


def redis_url_with_db(url: str, db: int) -> str:
    """The same server, another database number (tests use their own)."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        query = dict(parse_qsl(parts.query))
        query["db"] = str(db)
        # urlunsplit would drop the empty authority and write "unix:/path".
        return f"unix://{parts.netloc}{parts.path}?{urlencode(query)}"
    return urlunsplit(parts._replace(path=f"/{db}"))


def redis_settings(url: str, *, queues: list[str], default_timeout: int) -> dict[str, Any]:
    rq_queues = {
        rq_queue_name(queue, level): {"URL": url, "DEFAULT_TIMEOUT": default_timeout}
        for queue in queues
        for level in PRIORITY_LEVELS
    }
    # django-rq's own commands and views expect a queue named "default" to exist.
    rq_queues.setdefault("default", {"URL": url, "DEFAULT_TIMEOUT": default_timeout})
    return {
        "RQ_QUEUES": rq_queues,
        "CACHES": {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": url,
                "KEY_PREFIX": "qp",
            }
        },
        # Pub/sub: a group message crosses Redis once per web process, which hands it to all
        # of its subscribed sockets; live messages are snapshots, so none needs keeping.
        "CHANNEL_LAYERS": {
            "default": {
                "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                "CONFIG": {"hosts": [url], "prefix": "qp:asgi:"},
            }
        },
    }
