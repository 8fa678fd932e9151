"""The embedded Redis: a real server with a managed lifetime (start, reuse, stale cleanup, stop)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from queueproject.embedded_redis import EmbeddedRedis, EmbeddedRedisError
from queueproject.processes import pid_alive
from tests.conftest import ROOT


@pytest.fixture
def server_dir() -> Iterator[Path]:
    # Short path: unix socket paths are limited to ~100 characters.
    directory = Path(tempfile.mkdtemp(prefix="qp-t-"))
    yield directory
    leftover = EmbeddedRedis(directory)
    leftover.adopt()
    leftover.stop()


def wait_dead(pid: int, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.02)
    return False


def test_start_serves_commands_on_the_socket(server_dir: Path) -> None:
    server = EmbeddedRedis(server_dir)
    assert server.start() is True
    client = redis.Redis.from_url(server.url)
    client.set("greeting", "hello")
    assert client.get("greeting") == b"hello"
    assert server.pid() is not None
    server.stop()


def test_second_start_reuses_the_running_server(server_dir: Path) -> None:
    first = EmbeddedRedis(server_dir)
    first.start()
    redis.Redis.from_url(first.url).set("kept", "1")
    second = EmbeddedRedis(server_dir)
    assert second.start() is False
    assert second.pid() == first.pid()
    assert redis.Redis.from_url(second.url).get("kept") == b"1"
    second.stop()  # not the owner: leaves the server alone
    assert first.ping()
    first.stop()


def test_stop_ends_the_process_and_removes_socket_and_pidfile(server_dir: Path) -> None:
    server = EmbeddedRedis(server_dir)
    server.start()
    pid = server.pid()
    assert pid is not None
    server.stop()
    assert wait_dead(pid)
    assert not server.socket.exists()
    assert not server.pidfile.exists()


def test_start_after_a_crash_cleans_up_the_stale_pidfile_and_socket(server_dir: Path) -> None:
    crashed = EmbeddedRedis(server_dir)
    crashed.start()
    old_pid = crashed.pid()
    assert old_pid is not None
    os.kill(old_pid, signal.SIGKILL)  # leaves redis.pid and redis.sock behind
    assert wait_dead(old_pid)
    assert crashed.socket.exists()
    assert crashed.pidfile.exists()

    fresh = EmbeddedRedis(server_dir)
    assert fresh.start() is True
    assert fresh.pid() not in (None, old_pid)
    assert fresh.ping()
    fresh.stop()


def test_garbage_pidfile_and_orphan_socket_do_not_block_start(server_dir: Path) -> None:
    (server_dir / "redis.pid").write_text("not a pid")
    (server_dir / "redis.sock").write_text("")
    server = EmbeddedRedis(server_dir)
    assert server.start() is True
    assert server.ping()
    server.stop()


def test_adopted_server_is_stopped_by_its_new_owner(server_dir: Path) -> None:
    original = EmbeddedRedis(server_dir)
    original.start(tie_to_parent=False)
    pid = original.pid()
    assert pid is not None
    heir = EmbeddedRedis(server_dir)
    heir.adopt()
    heir.stop()
    assert wait_dead(pid)


def test_server_dies_with_the_process_that_started_it(server_dir: Path) -> None:
    script = (
        "import sys, time\n"
        "from queueproject.embedded_redis import EmbeddedRedis\n"
        f"EmbeddedRedis({str(server_dir)!r}).start(tie_to_parent=True)\n"
        "print('up', flush=True)\n"
        "time.sleep(60)\n"
    )
    owner = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE)
    assert owner.stdout is not None
    assert owner.stdout.readline().strip() == b"up"
    pid = EmbeddedRedis(server_dir).pid()
    assert pid is not None
    owner.kill()  # SIGKILL: no cleanup code runs in the owner
    owner.wait()
    assert wait_dead(pid), "the embedded Redis outlived the process that started it"


def test_too_long_socket_path_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    with pytest.raises(EmbeddedRedisError, match="too long for a unix socket"):
        EmbeddedRedis(tmp_path / ("x" * 120))
