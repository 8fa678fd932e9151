"""Settings come from the environment; each variant is read by a fresh interpreter, as at start."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

PROBE = """
import json
from django.conf import settings
db = settings.DATABASES["default"]
print(json.dumps({
    "engine": db["ENGINE"], "name": str(db["NAME"]), "host": db.get("HOST"),
    "port": db.get("PORT"), "options": db.get("OPTIONS", {}),
    "redis_url": settings.REDIS_URL, "embedded": settings.EMBEDDED_REDIS,
    "rq_urls": sorted({q["URL"] for q in settings.RQ_QUEUES.values()}),
    "rq_queues": sorted(settings.RQ_QUEUES),
    "cache": settings.CACHES["default"]["LOCATION"],
    "channels": settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"],
    "secret_key": settings.SECRET_KEY, "debug": settings.DEBUG,
    "allowed_hosts": settings.ALLOWED_HOSTS, "max_bytes": settings.UPLOAD_MAX_BYTES,
    "max_rows": settings.UPLOAD_MAX_ROWS, "media_root": str(settings.MEDIA_ROOT),
}))
"""
CONFIG_VARS = (
    "DATABASE_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "MEDIA_ROOT",
    "UPLOAD_MAX_BYTES",
    "UPLOAD_MAX_ROWS",
    "JOB_QUEUES",
    "QUEUEPROJECT_VAR_DIR",
)


def read_settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in CONFIG_VARS}
    base.update(
        {
            "DJANGO_SETTINGS_MODULE": "queueproject.settings",
            "QUEUEPROJECT_VAR_DIR": str(tmp_path / "var"),
            **env,
        }
    )
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + PROBE],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=60,
    )


def settings_for(tmp_path: Path, **env: str) -> dict:
    done = read_settings(tmp_path, **env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_defaults_are_sqlite_in_var_with_wal_and_busy_timeout(tmp_path: Path) -> None:
    conf = settings_for(tmp_path)
    assert conf["engine"] == "django.db.backends.sqlite3"
    assert conf["name"] == str(tmp_path / "var" / "db.sqlite3")
    assert "journal_mode=WAL" in conf["options"]["init_command"]
    assert conf["options"]["timeout"] == 30


def test_defaults_use_the_embedded_redis_socket_for_everything(tmp_path: Path) -> None:
    conf = settings_for(tmp_path)
    socket_url = f"unix://{tmp_path / 'var' / 'redis' / 'redis.sock'}?db=0"
    assert conf["embedded"] is True
    assert conf["redis_url"] == socket_url
    assert conf["rq_urls"] == [socket_url]
    assert conf["cache"] == socket_url
    assert conf["channels"] == [socket_url]


def test_postgresql_url_is_parsed(tmp_path: Path) -> None:
    conf = settings_for(tmp_path, DATABASE_URL="postgres://app:pw@db.internal:5433/queue")
    assert conf["engine"] == "django.db.backends.postgresql"
    assert (conf["host"], conf["port"], conf["name"]) == ("db.internal", 5433, "queue")
    assert conf["options"] == {}


def test_redis_url_feeds_rq_cache_and_channel_layer(tmp_path: Path) -> None:
    conf = settings_for(tmp_path, REDIS_URL="redis://cache.internal:6380/2")
    assert conf["embedded"] is False
    assert conf["rq_urls"] == ["redis://cache.internal:6380/2"]
    assert conf["cache"] == "redis://cache.internal:6380/2"
    assert conf["channels"] == ["redis://cache.internal:6380/2"]


def test_each_queue_has_ten_priority_levels(tmp_path: Path) -> None:
    conf = settings_for(tmp_path, JOB_QUEUES="uploads,default,reports")
    levels = [name for name in conf["rq_queues"] if name.startswith("reports.")]
    assert levels == [f"reports.p{n:02d}" for n in range(1, 11)]


def test_secret_key_is_generated_once_for_development(tmp_path: Path) -> None:
    first = settings_for(tmp_path)["secret_key"]
    second = settings_for(tmp_path)["secret_key"]
    assert len(first) >= 50
    assert first == second
    assert (tmp_path / "var" / "secret_key").stat().st_mode & 0o777 == 0o600


def test_secret_key_is_required_when_debug_is_off(tmp_path: Path) -> None:
    done = read_settings(tmp_path, DEBUG="0")
    assert done.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in done.stderr


def test_production_settings_come_from_the_environment(tmp_path: Path) -> None:
    conf = settings_for(
        tmp_path,
        DEBUG="false",
        SECRET_KEY="s3cret",
        ALLOWED_HOSTS="queue.example.org, api.example.org",
        UPLOAD_MAX_BYTES="20M",
        UPLOAD_MAX_ROWS="5000",
        MEDIA_ROOT="/srv/media",
    )
    assert conf["debug"] is False
    assert conf["secret_key"] == "s3cret"
    assert conf["allowed_hosts"] == ["queue.example.org", "api.example.org"]
    assert conf["max_bytes"] == 20 * 1024 * 1024
    assert conf["max_rows"] == 5000
    assert conf["media_root"] == "/srv/media"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DEBUG", "maybe", "DEBUG='maybe' is not a boolean"),
        ("UPLOAD_MAX_ROWS", "lots", "UPLOAD_MAX_ROWS='lots' is not an integer"),
        ("UPLOAD_MAX_BYTES", "100 parsecs", "UPLOAD_MAX_BYTES='100 parsecs' is not a size"),
    ],
)
def test_malformed_values_are_refused_by_name(
    tmp_path: Path, name: str, value: str, message: str
) -> None:
    done = read_settings(tmp_path, **{name: value})
    assert done.returncode != 0
    assert message in done.stderr
