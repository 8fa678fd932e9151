"""What stands in front of every WebSocket consumer: the origin check and authentication.

A browser always sends Origin, so a page on another site cannot ride a staff member's session
cookie: such a handshake is refused. A client with no Origin is not a browser and has no
victim's cookies to abuse; it authenticates with a token like any API client, as `?token=<key>`
or an `Authorization: Token <key>` header. A token that matches no active user leaves the user
anonymous with `scope["auth_error"]` saying why, for the consumer to answer.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import ParseResult, parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.contrib.auth.models import AnonymousUser


class BrowserOriginValidator(OriginValidator):
    """Origin must be one of ALLOWED_HOSTS when there is one."""

    def valid_origin(self, parsed_origin: ParseResult | None) -> bool:
        return parsed_origin is None or bool(self.validate_origin(parsed_origin))


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


def websocket_application(inner: Any) -> Any:
    allowed = settings.ALLOWED_HOSTS
    return BrowserOriginValidator(AuthMiddlewareStack(TokenAuthMiddleware(inner)), allowed)
