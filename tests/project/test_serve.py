"""The web server as `make run` starts it (queueproject.serve): a body over UPLOAD_MAX_BYTES is
refused from its headers alone, and a multipart upload under the limit goes through."""

from __future__ import annotations

import http.client
import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from rest_framework.authtoken.models import Token

from tests.conftest import Processes
from tests.factories import make_user
from tests.uploads.files import MEMBER_HEADER, members

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
LIMIT = 1024 * 1024


@pytest.fixture
def served(processes: Processes, tmp_path: Path) -> tuple[str, int, str]:
    env = {"UPLOAD_MAX_BYTES": str(LIMIT), "MEDIA_ROOT": str(tmp_path / "media")}
    address = urlsplit(processes.server(env=env))
    token, _ = Token.objects.get_or_create(user=make_user("uploader"))
    return str(address.hostname), int(address.port or 80), token.key


def _post(served: tuple[str, int, str], length: int, body: bytes, boundary: str):  # type: ignore[no-untyped-def]
    host, port, token = served
    connection = http.client.HTTPConnection(host, port, timeout=20)
    connection.putrequest("POST", "/api/v1/bulk-upload/process")
    connection.putheader("Authorization", f"Token {token}")
    connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    connection.putheader("Content-Length", str(length))
    connection.endheaders(body)
    return connection.getresponse()


def test_a_body_over_the_limit_is_413_before_it_is_sent(served) -> None:
    response = _post(served, 50 * LIMIT, b"", "x")  # headers only: the body never comes
    assert response.status == 413
    error = json.loads(response.read())["error"]
    assert error["code"] == "too_large"
    assert f"{50 * LIMIT:,} bytes" in error["message"]


def test_a_multipart_upload_under_the_limit_is_accepted(served) -> None:
    rows = "\r\n".join(",".join(row) for row in [MEMBER_HEADER, *members(3)]) + "\r\n"
    body = (
        '--b\r\nContent-Disposition: form-data; name="import_type"\r\n\r\nmembers\r\n'
        '--b\r\nContent-Disposition: form-data; name="file"; filename="m.csv"\r\n'
        f"Content-Type: text/csv\r\n\r\n{rows}\r\n--b--\r\n"
    ).encode()
    response = _post(served, len(body), body, "b")
    assert response.status == 202, response.read()
    assert json.loads(response.read())["data"]["file_name"] == "m.csv"
