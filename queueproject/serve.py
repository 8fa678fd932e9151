"""`python -m queueproject.serve [daphne's options] queueproject.asgi:application`: daphne, as
`make run` and production serve the project, with one change.

Autobahn (daphne's WebSocket layer) fails a connection by dropping its TCP connection unless told
otherwise, so a message over the size limit (daphne's --websocket_max_message_size, 1 MiB by
default) ended the socket without a close code. Here it fails with a close frame instead: 1009
(message too big), which a client can tell apart from a network fault."""

from __future__ import annotations

from typing import Any

from daphne import server
from daphne.cli import CommandLineInterface
from daphne.ws_protocol import WebSocketFactory


class ClosingWebSocketFactory(WebSocketFactory):
    def setProtocolOptions(self, **options: Any) -> None:
        super().setProtocolOptions(failByDrop=False, **options)


def main() -> None:
    server.WebSocketFactory = ClosingWebSocketFactory
    CommandLineInterface.entrypoint()


if __name__ == "__main__":
    main()
