"""Job submissions are rationed per user (THROTTLE_SUBMISSIONS): past the rate, 429 in the
envelope with Retry-After; reading is never throttled."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

JOBS = "/api/v1/queue/jobs"
NOOP = {"type": "system.noop"}

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def two_per_minute(settings: Any) -> None:
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "submissions": "2/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


@pytest.mark.usefixtures("two_per_minute")
def test_submissions_past_the_rate_are_429_with_retry_after(api) -> None:
    assert api["alice"].post(JOBS, NOOP, format="json").status_code == 202
    assert api["alice"].post(JOBS, [NOOP, NOOP], format="json").status_code == 202
    response = api["alice"].post(JOBS, NOOP, format="json")
    assert response.status_code == 429
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == "throttled"
    assert body["error"]["message"].startswith("Request was throttled.")
    assert 1 <= int(response["Retry-After"]) <= 60


@pytest.mark.usefixtures("two_per_minute")
def test_a_throttled_submission_creates_nothing(api) -> None:
    for _ in range(2):
        api["alice"].post(JOBS, NOOP, format="json")
    api["alice"].post(JOBS, [NOOP, NOOP, NOOP], format="json")
    listed = api["alice"].get(JOBS).json()["data"]["results"]
    assert len(listed) == 2


@pytest.mark.usefixtures("two_per_minute")
def test_reading_and_other_users_are_not_held_back(api) -> None:
    for _ in range(3):
        api["alice"].post(JOBS, NOOP, format="json")
    assert api["alice"].get(JOBS).status_code == 200
    assert api["bob"].post(JOBS, NOOP, format="json").status_code == 202


def test_the_submission_rate_is_read_from_the_environment(tmp_path: Path) -> None:
    probe = (
        "import django; django.setup();"
        "from rest_framework.settings import api_settings;"
        "print(api_settings.DEFAULT_THROTTLE_RATES['submissions'])"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "queueproject.settings",
        "QUEUEPROJECT_VAR_DIR": str(tmp_path),
        "THROTTLE_SUBMISSIONS": "7/hour",
    }
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.stdout.strip() == "7/hour", result.stderr


@pytest.mark.usefixtures("two_per_minute")
def test_with_the_cache_unreachable_the_rate_is_counted_locally(api, settings, tmp_path) -> None:
    dead = f"unix://{tmp_path}/no-redis.sock"
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": dead}
    }
    answers = [api["alice"].post(JOBS, NOOP, format="json").status_code for _ in range(3)]
    assert answers == [202, 202, 429]
