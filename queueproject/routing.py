"""WebSocket routes (the consumers arrive with the live-progress work)."""

from typing import Any

websocket_urlpatterns: list[Any] = []
