"""`make run`'s supervisor, run for real on the embedded defaults in a scratch directory."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from queueproject.processes import pid_alive
from tests.conftest import ROOT, free_port, wait_until

pytestmark = pytest.mark.slow


def children_of(pid: int) -> dict[int, str]:
    out = subprocess.run(
        ["ps", "-ww", "-o", "pid=,args=", "--ppid", str(pid)], capture_output=True, text=True
    ).stdout
    rows = (line.strip().split(None, 1) for line in out.splitlines() if line.strip())
    return {int(pid_): args for pid_, args in rows}


@dataclass
class Run:
    process: subprocess.Popen[str]
    port: int
    lines: queue.Queue[str] = field(default_factory=queue.Queue)
    seen: list[str] = field(default_factory=list)

    def wait_line(self, prefix: str, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                assert self.process.poll() is None, f"exited early: {self.seen[-20:]}"
                continue
            self.seen.append(line)
            if line.startswith(prefix):
                return line
        raise AssertionError(f"no line starting {prefix!r}; output: {self.seen[-20:]}")

    def get(self, path: str) -> int:
        url = f"http://127.0.0.1:{self.port}{path}"
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)


@pytest.fixture
def var_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="qp-run-") as directory:
        yield Path(directory)


def start(var_dir: Path, port: int) -> Run:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(QUEUEPROJECT_VAR_DIR=str(var_dir), PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "queueproject.supervisor", "--port", str(port), "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    run = Run(process, port)

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            run.lines.put(line.rstrip("\n"))

    threading.Thread(target=pump, daemon=True).start()
    return run


def stop(run: Run) -> None:
    if run.process.poll() is None:
        run.process.kill()
        run.process.wait()


def test_run_serves_restarts_a_dead_worker_and_stops_everything(var_dir: Path) -> None:
    run = start(var_dir, free_port())
    try:
        assert run.wait_line("ready:") == f"ready: http://127.0.0.1:{run.port}/"
        assert any(
            line.startswith("demo admin created: username admin, password ") for line in run.seen
        )
        assert run.get("/healthz") == 200
        assert run.get("/admin/login/") == 200

        children = children_of(run.process.pid)
        workers = [pid for pid, args in children.items() if "rqworker" in args]
        assert len(workers) == 1
        assert any("valkey-server" in args for args in children.values())
        os.kill(workers[0], signal.SIGKILL)
        run.wait_line("[run] restarting worker-1", timeout=30)
        wait_until(
            lambda: any(
                "rqworker" in a and p != workers[0] for p, a in children_of(run.process.pid).items()
            ),
            10,
            interval=0.1,
            what="a new worker process",
        )

        everything = set(children_of(run.process.pid))
        began = time.monotonic()
        run.process.send_signal(signal.SIGTERM)
        assert run.process.wait(timeout=15) == 0
        assert time.monotonic() - began < 10
        left = [pid for pid in everything if pid_alive(pid)]
        assert left == [], f"processes left behind: {left}"
        assert not (var_dir / "redis" / "redis.sock").exists()
    finally:
        stop(run)


def test_run_after_a_crash_cleans_up_and_becomes_ready_again(var_dir: Path) -> None:
    port = free_port()
    crashed = start(var_dir, port)
    try:
        crashed.wait_line("ready:")
        orphans = set(children_of(crashed.process.pid))
        crashed.process.kill()  # SIGKILL: the supervisor runs no cleanup at all
        crashed.process.wait()
        wait_until(
            lambda: not any(pid_alive(pid) for pid in orphans),
            10,
            interval=0.1,
            what="children to die",
        )
    finally:
        stop(crashed)

    again = start(var_dir, port)
    try:
        again.wait_line("ready:")
        assert any(
            "demo admin: admin (password printed when it was created" in line for line in again.seen
        )
        assert again.get("/healthz") == 200
    finally:
        again.process.send_signal(signal.SIGTERM)
        again.process.wait(timeout=15)
        stop(again)


def test_run_refuses_a_port_in_use_with_a_clear_message(var_dir: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        run = start(var_dir, busy.getsockname()[1])
        try:
            assert run.process.wait(timeout=60) != 0
            run.lines.put("")
            output = []
            while not run.lines.empty():
                output.append(run.lines.get())
            assert any("is in use: set PORT to another" in line for line in output), output
        finally:
            stop(run)
