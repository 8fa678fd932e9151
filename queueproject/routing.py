"""WebSocket routes (the protocol is in the README, section "WebSocket")."""

from typing import Any

from django.urls import path

from jobs.consumers import DashboardConsumer, JobsConsumer

websocket_urlpatterns: list[Any] = [
    path("ws/jobs/", JobsConsumer.as_asgi()),
    path("ws/dashboard/", DashboardConsumer.as_asgi()),
]
