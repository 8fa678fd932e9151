"""ASGI entry point: Django over HTTP and the WebSocket router, both served by daphne."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "queueproject.settings")

from channels.routing import ProtocolTypeRouter, URLRouter
from django.core.asgi import get_asgi_application

django_asgi_app = get_asgi_application()

from queueproject.routing import websocket_urlpatterns  # noqa: E402
from queueproject.websocket import websocket_application  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": websocket_application(URLRouter(websocket_urlpatterns)),
    }
)
