"""What stands in front of every WebSocket consumer: the origin check and authentication.

A browser always sends Origin, so a page on another site cannot ride a staff member's session
cookie: a handshake whose Origin is not the site itself (or a CSRF_TRUSTED_ORIGINS entry) is
refused. A client with no Origin is not a browser, so it carries no victim's cookies; it
normally authenticates with a token like any API client, as `?token=<key>` or an
`Authorization: Token <key>` header. A token that matches no active user leaves the user
anonymous with `scope["auth_error"]` saying why, for the consumer to answer.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import parse_qs, urlparse

import redis
from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http.request import split_domain_port, validate_host

logger = logging.getLogger("queueproject.websocket")

# "Try again later": as 4401/4403 mirror HTTP's 401/403, 4503 mirrors 503 (an application may
# close only with 1000 or 3000-4999; daphne refuses RFC 6455's own 1013).
CLOSE_TRY_AGAIN_LATER = 4503


class OriginCheck:
    """A browser's Origin must be the site itself (the Host it connects to, one of
    ALLOWED_HOSTS) or one of CSRF_TRUSTED_ORIGINS: Django's own rule for a form post."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        headers = dict(scope.get("headers", []))
        origin = headers.get(b"origin")
        host = headers.get(b"host", b"").decode("latin1")
        if origin is None or origin_allowed(origin.decode("latin1"), host=host):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)


def origin_allowed(origin: str, *, host: str) -> bool:
    if origin in settings.CSRF_TRUSTED_ORIGINS:
        return True
    domain = split_domain_port(host)[0]
    same_site = bool(domain) and urlparse(origin).netloc == host
    return same_site and validate_host(domain, settings.ALLOWED_HOSTS)


class TokenAuthMiddleware(BaseMiddleware):
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        key = _token_key(scope)
        if key is not None:
            user = await _token_user(key)
            scope = {**scope, "user": user or AnonymousUser()}
            if user is None:
                scope["auth_error"] = "invalid token: no active user has this API token"
        return await super().__call__(scope, receive, send)


def _token_key(scope: dict[str, Any]) -> str | None:
    query = parse_qs(scope.get("query_string", b"").decode("latin1"))
    if query.get("token"):
        return query["token"][-1]
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, key = value.decode("latin1").partition(" ")
            if scheme.lower() == "token":
                return key.strip()
    return None


@database_sync_to_async
def _token_user(key: str) -> Any:
    from rest_framework.authtoken.models import Token

    token = Token.objects.select_related("user").filter(key=key).first()
    return token.user if token is not None and token.user.is_active else None


class OutageRefusal:
    """Live messages travel through Redis: while it is unreachable, a handshake is accepted
    and closed at once with 4503 (try again later) and an error message saying why, instead of
    failing with an HTTP 500; a socket that loses Redis is closed the same way."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        accepted = closed = False

        async def tracking_send(message: dict[str, Any]) -> None:
            nonlocal accepted, closed
            accepted = accepted or message["type"] == "websocket.accept"
            closed = closed or message["type"] == "websocket.close"
            await send(message)

        try:
            return await self.application(scope, receive, tracking_send)
        except (redis.RedisError, OSError) as exc:
            logger.warning("websocket %s: Redis unreachable: %s", scope.get("path"), exc)
            if closed:
                return None
            if not accepted:
                await send({"type": "websocket.accept"})
            text = {"type": "error", "code": "unavailable", "message": UNAVAILABLE}
            await send({"type": "websocket.send", "text": json.dumps(text)})
            await send({"type": "websocket.close", "code": CLOSE_TRY_AGAIN_LATER})
            return None


UNAVAILABLE = "live updates are unavailable for a moment: reconnect in a few seconds"


def websocket_application(inner: Any) -> Any:
    return OriginCheck(AuthMiddlewareStack(TokenAuthMiddleware(OutageRefusal(inner))))
