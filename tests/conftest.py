"""Test infrastructure: a real Redis that the suite owns, and helpers to run real processes.

With REDIS_URL set, the suite uses that server but its own database number (REDIS_TEST_DB,
default 13) and flushes only that database. Without it, the suite starts an embedded server of its
own in a temporary directory and stops it at the end.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from queueproject.embedded_redis import EmbeddedRedis
from queueproject.redis_client import reset_redis_clients
from queueproject.redis_settings import redis_settings, redis_url_with_db

ROOT = Path(__file__).resolve().parent.parent


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
    _EMBEDDED.append(server)
    _use_redis(server.url)
    try:
        yield server.url
    finally:
        server.stop()


_EMBEDDED: list[EmbeddedRedis] = []


@pytest.fixture
def lose_redis_data(redis_url: str):  # type: ignore[no-untyped-def]
    """Lose everything in Redis: a real restart of the suite's own server (no persistence), or,
    on a shared server, a flush of the suite's own database."""

    def lose() -> None:
        if _EMBEDDED:
            server = _EMBEDDED[0]
            server.stop()
            server.start(tie_to_parent=True)
        else:
            redis.Redis.from_url(redis_url).flushdb()

    return lose


@pytest.fixture(autouse=True)
def clean_redis(redis_url: str) -> Iterator[redis.Redis]:
    """Each test starts on an empty database of the suite's own."""
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.close()


@pytest.fixture
def media_root(settings, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    """The files a test uploads and the reports it writes stay under its own tmp_path."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def staff_client(client, django_user_model):  # type: ignore[no-untyped-def]
    user = django_user_model.objects.create_user("staff", password="pw-staff-1", is_staff=True)
    client.force_login(user)
    client.user = user
    return client


def database_url() -> str:
    """A URL for the database the tests are using, for worker processes to open."""
    from django.db import connection

    conf = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{conf['NAME']}"
    auth = conf["USER"] + (f":{conf['PASSWORD']}" if conf["PASSWORD"] else "")
    return f"postgres://{auth}@{conf['HOST'] or '127.0.0.1'}:{conf['PORT'] or 5432}/{conf['NAME']}"


PROCESS_ENV = {
    "WORKER_HEARTBEAT_INTERVAL": "1",
    "WORKER_DEAD_AFTER": "3",
    "WORKER_SHUTDOWN_GRACE": "1",
    "MAINTENANCE_INTERVAL": "2",
    "DIAGNOSTIC_JOBS": "1",
    "PYTHONUNBUFFERED": "1",
}


class Processes:
    """Real worker and maintenance processes on the test database and the test Redis."""

    def __init__(self, redis_url: str, log_dir: Path) -> None:
        self.redis_url = redis_url
        self.log_dir = log_dir
        self.started: list[subprocess.Popen[bytes]] = []

    def _spawn(
        self, name: str, argv: list[str], env: dict[str, str] | None
    ) -> subprocess.Popen[bytes]:
        environment = {**os.environ, **PROCESS_ENV, **(env or {})}
        environment.update(DATABASE_URL=database_url(), REDIS_URL=self.redis_url)
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 (closed with the process)
        process = subprocess.Popen(
            [sys.executable, *argv],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.started.append(process)
        return process

    def worker(
        self, name: str = "w1", env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        argv = ["manage.py", "rqworker", "--name", f"test-{name}-{os.getpid()}"]
        return self._spawn(name, argv, env)

    def maintenance(self, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        return self._spawn("maintenance", ["manage.py", "queue_maintenance"], env)

    def server(self, env: dict[str, str] | None = None, port: int | None = None) -> str:
        """daphne serving the project (HTTP and WebSocket) as `make run` does; returns its URL."""
        port = port or free_port()
        argv = ["-m", "queueproject.serve", "-b", "127.0.0.1", "-p", str(port)]
        argv.append("queueproject.asgi:application")
        process = self._spawn("daphne", argv, env)
        url = f"http://127.0.0.1:{port}"

        def serving() -> bool:
            assert process.poll() is None, f"daphne exited: {self.logs()}"
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                    return int(response.status) == 200
            except OSError:
                return False

        wait_until(serving, timeout=60, interval=0.2, what="daphne to serve /healthz")
        return url

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.terminate()
        for process in self.started:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text()[-3000:]}" for p in self.log_dir.glob("*.log")
        )


@pytest.fixture
def processes(redis_url: str, tmp_path: Path) -> Iterator[Processes]:
    procs = Processes(redis_url, tmp_path)
    try:
        yield procs
    finally:
        procs.stop_all()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(predicate, timeout: float = 20.0, interval: float = 0.05, what: str = "") -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what or predicate}")


def manage(
    *argv: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run a manage.py command to its end in a process of its own, as an operator types it;
    `env` adds to this process's environment."""
    return subprocess.run(
        [sys.executable, "manage.py", *argv],
        cwd=ROOT,
        env={**os.environ, **env} if env else None,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def at_once(*actions: Callable[[], object]) -> None:
    """Run each action in a thread of its own, all released at the same instant, and wait for
    them; each thread closes the database connection Django opened for it."""
    start = threading.Barrier(len(actions))

    def run(action: Callable[[], object]) -> None:
        start.wait()
        try:
            action()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
