"""The WebSocket size limit, through the real server: a message over 1 MiB closes the socket with
1009 (message too big), not a dropped connection."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.conftest import Processes
from tests.factories import make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_a_message_over_the_size_limit_closes_with_1009(processes: Processes) -> None:
    base = processes.server()
    token, _ = Token.objects.get_or_create(user=make_user("big"))
    url = f"{base.replace('http', 'ws', 1)}/ws/jobs/?token={token.key}"
    with connect(url, open_timeout=10, max_size=None) as socket:
        socket.send('{"action": "ping"}')
        assert socket.recv(timeout=10) == '{"type": "pong"}'
        socket.send('{"action": "ping", "pad": "' + "x" * (1024 * 1024 + 1) + '"}')
        with pytest.raises(ConnectionClosed):
            socket.recv(timeout=10)
    assert socket.close_code == 1009
