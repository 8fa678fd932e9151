"""Peak memory of the web process under large uploads (issue 14's goal: an accepted 95 MB upload
raises the web process's peak RSS by at most 150 MB, and three at once stay under 600 MB).

Each scenario runs against a fresh server, so that its peak (VmHWM) is its own: one accepted
95 MB CSV, three at once, and one 101 MB CSV over UPLOAD_MAX_BYTES (100 MB), which must be a 413.
The server is `python -m queueproject.serve` (daphne, as `make run` serves), or plain daphne.

    .venv/bin/python bench/upload_memory_bench.py [--server serve|daphne] [--mb 95]
"""

from __future__ import annotations

import argparse
import http.client
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ROW = b"8001015009087,Name,Surname,a@example.org,0821234567,Gauteng,Johannesburg,79800001,\r\n"
HEADER = b"id_number,first_name,last_name,email,cell_number,province,municipality,ward,x\r\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", choices=["serve", "daphne"], default="serve")
    parser.add_argument("--mb", type=int, default=95)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="qp-upload-bench-") as tmp:
        run(Path(tmp), args.server, args.mb)


def run(tmp: Path, server: str, mb: int) -> None:
    from bench.common import setup_environment

    redis = setup_environment(tmp)
    try:
        token = make_uploader()
        accepted = csv_of(tmp / "accepted.csv", mb * 1024 * 1024)
        refused = csv_of(tmp / "refused.csv", 101 * 1024 * 1024)
        print(f"server: {server}; sizes: accepted {mb} MiB, refused 101 MiB")
        print(f"{'scenario':<22} {'statuses':<16} {'base MB':>8} {'peak MB':>8} {'raise MB':>9}")
        for name, files in [
            (f"1 x {mb} MiB", [accepted]),
            (f"3 x {mb} MiB at once", [accepted] * 3),
            ("1 x 101 MiB (413)", [refused]),
        ]:
            scenario(tmp, server, token, name, files)
    finally:
        if redis is not None:
            redis.stop()


def scenario(tmp: Path, server: str, token: str, name: str, files: list[Path]) -> None:
    from bench.common import start_server

    module = "queueproject.serve" if server == "serve" else "daphne"
    port, process = start_server(tmp, module=module, env={"MEDIA_ROOT": str(tmp / "media")})
    time.sleep(0.5)  # settled
    try:
        base = rss_mb(process.pid, "VmRSS")
        statuses: list[int] = []
        threads = [
            threading.Thread(target=lambda f=f: statuses.append(upload(port, token, f)))
            for f in files
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        peak = rss_mb(process.pid, "VmHWM")
        shown = ",".join(str(s) for s in sorted(statuses))
        print(f"{name:<22} {shown:<16} {base:>8.0f} {peak:>8.0f} {peak - base:>9.0f}")
    finally:
        process.terminate()
        process.wait(timeout=30)


def make_uploader() -> str:
    from django.contrib.auth.models import User
    from rest_framework.authtoken.models import Token

    user = User.objects.create_user(f"bench-{uuid.uuid4().hex[:8]}")
    return str(Token.objects.create(user=user).key)


def csv_of(path: Path, size: int) -> Path:
    with path.open("wb") as out:
        out.write(HEADER)
        block = ROW * 4096
        while out.tell() + len(block) <= size:
            out.write(block)
    return path


def upload(port: int, token: str, path: Path) -> int:
    """A multipart POST streamed from the file (the client holds no copy in memory)."""
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="import_type"\r\n\r\nmembers\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="dry_run"\r\n\r\ntrue\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{path.name}"\r\nContent-Type: text/csv\r\n\r\n'
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    connection.putrequest("POST", "/api/v1/bulk-upload/process")
    connection.putheader("Authorization", f"Token {token}")
    connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    connection.putheader("Content-Length", str(len(head) + path.stat().st_size + len(tail)))
    connection.endheaders()
    try:
        connection.send(head)
        with path.open("rb") as body:
            while chunk := body.read(1 << 20):
                connection.send(chunk)
        connection.send(tail)
    except (BrokenPipeError, ConnectionResetError):
        pass  # refused before the whole body was read: the answer says why
    status = connection.getresponse().status
    connection.close()
    return int(status)


def rss_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise LookupError(field)


if __name__ == "__main__":
    main()
