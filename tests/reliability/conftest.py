"""The reliability tier: real processes (daphne, workers, maintenance) on a Redis server of the
test's own, which it stops and starts, and the test database, whose connections it terminates.

Redis here is never the suite's server nor a shared one: each test starts an embedded server in
its own directory, so stopping it touches nobody else."""

from __future__ import annotations

import json
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from rest_framework.authtoken.models import Token

from queueproject.embedded_redis import EmbeddedRedis
from tests.conftest import Processes, _use_redis
from tests.factories import make_user


@pytest.fixture
def own_redis() -> Iterator[EmbeddedRedis]:
    # A short directory: unix socket paths are limited to ~100 bytes.
    server = EmbeddedRedis(Path(tempfile.mkdtemp(prefix="qp-rel-")))
    server.start(tie_to_parent=True)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def own_processes(own_redis: EmbeddedRedis, redis_url: str, tmp_path: Path) -> Iterator[Processes]:
    """Real processes on the test's own Redis, which this process dispatches to as well."""
    procs = Processes(own_redis.url, tmp_path)
    _use_redis(own_redis.url)
    try:
        yield procs
    finally:
        procs.stop_all()
        _use_redis(redis_url)


@dataclass
class Client:
    """An API client over real HTTP, counting every answer by status."""

    base: str
    token: str
    statuses: list[int] = field(default_factory=list)

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.base}{path}", data=data, method=method)
        request.add_header("Authorization", f"Token {self.token}")
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, payload = int(response.status), response.read()
        except urllib.error.HTTPError as error:
            status, payload = error.code, error.read()
        self.statuses.append(status)
        try:
            return status, json.loads(payload)
        except ValueError:
            return status, payload.decode(errors="replace")

    def server_errors(self) -> list[int]:
        return [status for status in self.statuses if status >= 500]


def api_client(base: str, name: str = "rel", **flags: Any) -> Client:
    user = make_user(name, **flags)
    token, _ = Token.objects.get_or_create(user=user)
    return Client(f"{base}/api/v1", token.key)
