"""What every benchmark needs: a scratch environment and Django set up inside it, and the
project served in a process of its own."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from queueproject.embedded_redis import EmbeddedRedis

ROOT = Path(__file__).resolve().parent.parent
ASGI_APP = "queueproject.asgi:application"


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


def start_server(
    tmp: Path, *, module: str = "queueproject.serve", env: dict[str, str] | None = None
) -> tuple[int, subprocess.Popen[bytes]]:
    """Serve the project (HTTP and WebSocket) on a free local port with `python -m <module>`:
    queueproject.serve as `make run` does, or "daphne" plain. Returns the port and the server's
    own process (its memory is the server's) once /healthz answers; its log is tmp/<module>.log.
    `env` adds to this process's environment."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    log_path = tmp / f"{module}.log"
    log = open(log_path, "ab")  # noqa: SIM115 (lives as long as the server)
    process = subprocess.Popen(
        [sys.executable, "-m", module, "-b", "127.0.0.1", "-p", str(port), ASGI_APP],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return port, process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"{module} did not start: {log_path.read_text()[-2000:]}")
