"""What every benchmark needs: a scratch environment and Django set up inside it."""

from __future__ import annotations

import os
from pathlib import Path

from queueproject.embedded_redis import EmbeddedRedis


def setup_environment(tmp: Path) -> EmbeddedRedis | None:
    """DATABASE_URL and REDIS_URL when set (Redis database 14), otherwise a scratch SQLite file
    and an embedded Redis in `tmp`; then django.setup() and migrate. Returns the embedded server
    to stop at the end, if one was started."""
    from queueproject.redis_settings import redis_url_with_db

    os.environ["QUEUEPROJECT_VAR_DIR"] = str(tmp)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp / 'bench.sqlite3'}")
    os.environ["DIAGNOSTIC_JOBS"] = "1"
    os.environ["DJANGO_SETTINGS_MODULE"] = "queueproject.settings"
    os.environ["LOG_LEVEL"] = "WARNING"
    server = None
    if os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = redis_url_with_db(os.environ["REDIS_URL"], 14)
    else:
        server = EmbeddedRedis(tmp / "redis")
        server.start(tie_to_parent=True)
        os.environ["REDIS_URL"] = server.url
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return server
