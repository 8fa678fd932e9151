"""`python -m queueproject.serve [daphne's options] queueproject.asgi:application`: daphne, as
`make run` and production serve the project, with three changes measured by
bench/upload_memory_bench.py and tests/project/test_serve.py:

- a request whose Content-Length is over UPLOAD_MAX_BYTES (plus room for the multipart framing)
  is answered 413 as soon as its headers arrive, before its body is read;
- Twisted's own parse of form and multipart bodies is off: daphne never reads its result (Django
  parses the body), and it held about ten copies of a multipart body in memory at once;
- a WebSocket connection is failed with a close frame rather than a dropped TCP connection, so a
  message over the size limit (--websocket_max_message_size, 1 MiB) closes with 1009 (message too
  big), which a client can tell apart from a network fault.
"""

from __future__ import annotations

import json
from typing import Any

from daphne import http_protocol, server
from daphne.cli import CommandLineInterface
from daphne.http_protocol import WebRequest
from daphne.ws_protocol import WebSocketFactory

MULTIPART_ROOM = 64 * 1024  # the form's other fields and the multipart framing


def body_limit() -> int:
    from django.conf import settings

    return int(settings.UPLOAD_MAX_BYTES) + MULTIPART_ROOM


class _Discard:
    """Where the body of a refused request goes: nowhere."""

    def write(self, data: bytes) -> None:
        pass

    def seek(self, *args: Any) -> int:
        return 0

    def tell(self) -> int:
        return 0

    def read(self, *args: Any) -> bytes:
        return b""

    def close(self) -> None:
        pass


class BoundedWebRequest(WebRequest):
    _refused = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._parsePOSTFormSubmission = False

    def gotLength(self, length: int | None) -> None:
        limit = body_limit()
        if length is None or length <= limit:
            super().gotLength(length)
            return
        self._refused = True
        self.content = _Discard()
        message = f"the request body ({length:,} bytes) is larger than the limit of {limit:,} bytes"
        body = json.dumps(
            {"success": False, "error": {"code": "too_large", "message": message}}
        ).encode()
        head = (
            "HTTP/1.1 413 Content Too Large\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        self.channel.transport.write(head + body)
        self.channel.transport.loseConnection()

    def requestReceived(self, command: bytes, path: bytes, version: bytes) -> None:
        if not self._refused:
            super().requestReceived(command, path, version)


class ClosingWebSocketFactory(WebSocketFactory):
    def setProtocolOptions(self, **options: Any) -> None:
        super().setProtocolOptions(failByDrop=False, **options)


def main() -> None:
    http_protocol.WebRequest = BoundedWebRequest
    server.WebSocketFactory = ClosingWebSocketFactory
    CommandLineInterface.entrypoint()


if __name__ == "__main__":
    main()
