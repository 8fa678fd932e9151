"""Publishing never blocks or fails the code that publishes, whatever Redis does."""

from __future__ import annotations

import logging

import pytest
from django.test import override_settings

from jobs.live import Publisher

UNREACHABLE = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
    }
}


def test_publishing_while_redis_is_unreachable_is_logged_not_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    publisher = Publisher()
    with override_settings(CHANNEL_LAYERS=UNREACHABLE), caplog.at_level(logging.WARNING):
        publisher.publish(
            "job.lost", messages=[{"type": "job_status", "job_id": "lost"}], final=True
        )
        assert publisher.drain(timeout=10)
    assert "live messages: send to job.lost failed" in caplog.text
