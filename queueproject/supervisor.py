"""`make run`: the whole system in one terminal, supervised.

Starts the embedded Redis (unless REDIS_URL is set), migrates, ensures the demo admin, then runs
daphne, $WORKERS workers and the maintenance loop as children. A child that dies is restarted with
backoff. Prints `ready: http://HOST:PORT/` once /healthz answers. Ctrl-C or SIGTERM (also the
death of the parent, e.g. `make`) stops every child and the embedded Redis.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from queueproject.embedded_redis import EmbeddedRedis
from queueproject.processes import die_with_parent, pid_alive

STOP_GRACE_SECONDS = 8.0
READY_TIMEOUT_SECONDS = 120.0
MAX_BACKOFF_SECONDS = 30.0
HEALTHY_RUN_SECONDS = 60.0


def log(message: str) -> None:
    print(f"[run] {message}", flush=True)


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restarts: int = 0
    restart_at: float | None = None
    env: dict[str, str] = field(default_factory=dict)

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.argv,
            env={**os.environ, **self.env},
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches us alone; we stop children in order
            preexec_fn=die_with_parent,
        )
        self.started_at = time.monotonic()
        self.restart_at = None

    def exited(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def schedule_restart(self) -> float:
        ran = time.monotonic() - self.started_at
        self.restarts = 0 if ran > HEALTHY_RUN_SECONDS else self.restarts + 1
        delay = min(MAX_BACKOFF_SECONDS, 0.5 * 2**self.restarts)
        self.restart_at = time.monotonic() + delay
        return delay

    def signal(self, signum: int) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signum)


class Supervisor:
    def __init__(self, *, host: str, port: int, workers: int) -> None:
        from django.conf import settings

        self.host, self.port = host, port
        self.var_dir = Path(settings.VAR_DIR)
        self.lockfile = self.var_dir / "run.pid"
        self.redis = EmbeddedRedis(settings.EMBEDDED_REDIS_DIR) if settings.EMBEDDED_REDIS else None
        self.children = self._children(workers)
        self.stopping = False

    def _children(self, workers: int) -> list[Child]:
        python = sys.executable
        asgi = ["-m", "queueproject.serve", "-b", self.host, "-p", str(self.port)]
        children = [Child("web", [python, *asgi, "queueproject.asgi:application"])]
        for number in range(1, workers + 1):
            name = f"{socket.gethostname()}-{os.getpid()}-w{number}"
            children.append(
                Child(f"worker-{number}", [python, "manage.py", "rqworker", "--name", name])
            )
        children.append(Child("maintenance", [python, "manage.py", "queue_maintenance"]))
        return children

    def run(self) -> int:
        self._lock()
        try:
            self._prepare()
            for child in self.children:
                child.start()
            if self._wait_ready():
                print(f"ready: http://{self.host}:{self.port}/", flush=True)
                self._supervise()
        finally:
            self._shutdown()
        return 0

    def request_stop(self, signum: int, frame: FrameType | None = None) -> None:
        if not self.stopping:
            log(f"received {signal.Signals(signum).name}: stopping")
        self.stopping = True

    def _lock(self) -> None:
        self.var_dir.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(OSError, ValueError):
            other = int(self.lockfile.read_text())
            if other != os.getpid() and pid_alive(other):
                raise SystemExit(f"another `make run` is running (pid {other}); stop it first")
        if not _port_free(self.host, self.port):
            raise SystemExit(f"port {self.port} on {self.host} is in use: set PORT to another")
        self.lockfile.write_text(str(os.getpid()))

    def _prepare(self) -> None:
        if self.redis is not None:
            started = self.redis.start(tie_to_parent=True)
            self.redis.adopt()
            log(f"embedded Redis {'started' if started else 'reused'} at {self.redis.socket}")
        _manage("migrate", "--noinput", "-v", "0")
        _manage("demo_admin")

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        url = f"http://{self.host}:{self.port}/healthz"
        while not self.stopping and time.monotonic() < deadline:
            web = self.children[0]
            if web.exited() is not None:
                raise SystemExit(f"the web server exited with code {web.exited()} before ready")
            if _http_ok(url):
                return True
            time.sleep(0.2)
        if not self.stopping:
            raise SystemExit(f"{url} did not answer 200 within {READY_TIMEOUT_SECONDS:.0f} s")
        return False

    def _supervise(self) -> None:
        while not self.stopping:
            now = time.monotonic()
            for child in self.children:
                code = child.exited()
                if child.restart_at is not None and now >= child.restart_at:
                    log(f"restarting {child.name}")
                    child.start()
                elif code is not None and child.restart_at is None:
                    delay = child.schedule_restart()
                    log(f"{child.name} exited with code {code}; restarting in {delay:.1f} s")
            time.sleep(0.2)

    def _shutdown(self) -> None:
        self.stopping = True
        for child in self.children:
            child.signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        while time.monotonic() < deadline and any(c.exited() is None for c in self.children):
            time.sleep(0.05)
        for child in self.children:
            if child.exited() is None and child.process is not None:
                log(f"{child.name} did not stop in {STOP_GRACE_SECONDS:.0f} s: killing it")
                child.signal(signal.SIGKILL)
                child.process.wait()
        if self.redis is not None:
            self.redis.stop()
        with contextlib.suppress(OSError, ValueError):
            if int(self.lockfile.read_text()) == os.getpid():
                self.lockfile.unlink()
        log("stopped")


def _manage(*args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], check=True)


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _install_signal_handlers(handler: Callable[[int, FrameType | None], None]) -> None:
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, handler)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WORKERS", "2")))
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "queueproject.settings")
    os.chdir(Path(__file__).resolve().parent.parent)
    die_with_parent()  # `make` killed with SIGTERM does not forward it: its death does
    import django

    django.setup()
    supervisor = Supervisor(host=args.host, port=args.port, workers=args.workers)
    _install_signal_handlers(supervisor.request_stop)
    try:
        return supervisor.run()
    except subprocess.CalledProcessError as exc:
        log(f"setup step failed: {' '.join(map(str, exc.cmd))} (exit {exc.returncode})")
        return 1


if __name__ == "__main__":
    sys.exit(main())
