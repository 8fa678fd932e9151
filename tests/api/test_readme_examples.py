"""The README's API examples, run as written with bash and curl against a live daphne server and a
real worker, so that they cannot drift from the API.

Only what a reader fills in is filled in: the server's port, `<id>` (the job the first command
submitted) and `<job_id>` (the upload the first `process` made), and the file members.xlsx.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from openpyxl import Workbook

from jobs.models import JobStatus
from tests.conftest import ROOT, Processes, database_url, wait_until
from uploads.models import Upload

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
README_SERVER = "http://127.0.0.1:8000"
ASSIGNMENT = re.compile(r"^([A-Z_]+)=")


def readme_commands() -> list[str]:
    """The shell commands of the README's HTTP API section, continuation lines joined."""
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## HTTP API\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    joined = "\n".join(blocks).replace("\\\n", " ")
    lines = (line.strip() for line in joined.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def members_file(path: Path) -> None:
    """Two good members and one with an ID number that fails its check digit."""
    sheet = Workbook()
    rows = sheet.active
    assert rows is not None
    rows.append(["id_number", "first_name", "last_name", "province"])
    rows.append(["8001015009087", "Thabo", "Mokoena", "GP"])
    rows.append(["9202204720083", "Lerato", "Dlamini", "KZN"])
    rows.append(["8001015009088", "Sipho", "Nkosi", "WC"])
    sheet.save(path)


class Reader:
    """Runs the README's lines one by one in bash, as a reader would, keeping its variables."""

    def __init__(self, workdir: Path, server: str, env: dict[str, str]) -> None:
        self.workdir, self.server, self.env = workdir, server, env
        self.filled: dict[str, str] = {}

    def run(self, line: str) -> Any:
        line = line.replace(README_SERVER, self.server)
        for placeholder, value in self.filled.items():
            line = line.replace(placeholder, value)
        assert "<" not in line, f"a placeholder the test cannot fill: {line}"
        assignment = ASSIGNMENT.match(line)
        script = f'{line}; printf %s "${assignment.group(1)}"' if assignment else line
        out = subprocess.run(
            ["bash", "-o", "pipefail", "-ec", script],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0, f"{line}\n{out.stderr}"
        if assignment:
            assert out.stdout, f"{line} set nothing"
            self.env[assignment.group(1)] = out.stdout
            return None
        return out.stdout


def upload_finished(job_id: str) -> bool:
    job = Upload.objects.select_related("job").get(job_id=job_id).job
    return job is not None and job.status == JobStatus.COMPLETED


def test_the_readme_api_examples_work_as_written(processes: Processes, tmp_path: Path) -> None:
    User.objects.create_superuser("admin", "admin@example.org", None)
    processes.worker()
    server = processes.server()
    for name in (".venv", "manage.py"):  # the commands run from the repository's root
        (tmp_path / name).symlink_to(ROOT / name)
    members_file(tmp_path / "members.xlsx")
    env = {**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": processes.redis_url}
    reader = Reader(tmp_path, server, env)
    commands = readme_commands()
    assert len(commands) >= 15
    for line in commands:
        if "<job_id>" in line and "/status/" not in line:
            job_id = reader.filled["<job_id>"]
            wait_until(lambda j=job_id: upload_finished(j), what="the dry run to finish")
        answer = reader.run(line)
        if answer is None:
            continue
        body = check_answer(line, answer, tmp_path)
        if body is not None:
            remember_ids(reader, line, body["data"])


def check_answer(line: str, answer: str, workdir: Path) -> dict[str, Any] | None:
    """The envelope of a success, or None for a download (which must be an xlsx)."""
    saved = re.search(r"-o (\S+)", line)
    if saved:
        assert (workdir / saved.group(1)).read_bytes()[:2] == b"PK", f"{line}: not an xlsx"
        return None
    body: dict[str, Any] = json.loads(answer)
    assert body["success"] is True, f"{line}\n{answer}"
    return body


def remember_ids(reader: Reader, line: str, data: dict[str, Any]) -> None:
    if "/jobs " in line and "-X POST" in line:
        reader.filled.setdefault("<id>", data["id"])
    if "/process " in line:
        reader.filled.setdefault("<job_id>", data["job_id"])
