"""A body over the size limit is refused whole, however it is sent: never cut and processed."""

from __future__ import annotations

import contextlib
import io
import json
import socket
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests import conftest
from tests.conftest import Users, api_headers, csrf_from, login
from tests.integration.test_api_support import counts
from tests.integration.test_worker_embedded import Server
from tests.integration.workers import wait_until

LIMIT = 1024 * 1024
#: Padding that takes a body past the limit (the hostile-input run sent 1.1 MB).
PADDING = "x" * (LIMIT + LIMIT // 10)


def _chunked(client: FlaskClient, path: str, body: bytes, **headers: str) -> TestResponse:
    """POST a body as a server hands over a chunked one: a stream and no Content-Length."""
    return client.post(
        path,
        input_stream=io.BytesIO(body),
        headers={"Transfer-Encoding": "chunked", **headers},
        # What gunicorn and werkzeug's server set when they decode a chunked body themselves.
        environ_overrides={"wsgi.input_terminated": True},
    )


def _customer_form(client: FlaskClient, **extra: str) -> bytes:
    token = csrf_from(client.get("/customers/new").get_data(as_text=True))
    fields = {"csrf_token": token, "name": "Chunked Customer", "email": "c@example.com", **extra}
    return urlencode(fields).encode()


def test_a_chunked_form_over_the_limit_is_refused_whole_and_stores_nothing(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    login(client, users.concierge)
    before = counts(app)
    body = _customer_form(client, padding=PADDING)
    response = _chunked(
        client, "/customers/new", body, **{"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 413
    assert counts(app) == before


def test_a_chunked_form_within_the_limit_is_read_in_full(
    app: Flask, users: Users, client: FlaskClient
) -> None:
    login(client, users.concierge)
    body = _customer_form(client, notes="Sonner deux fois")
    response = _chunked(
        client, "/customers/new", body, **{"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert counts(app)["customers"] == 1


def test_a_chunked_api_body_over_the_limit_is_a_json_413(app: Flask, users: Users) -> None:
    client = app.test_client()
    before = counts(app)
    body = json.dumps({"name": "Chunked", "email": "c@example.com", "notes": PADDING}).encode()
    response = _chunked(
        client,
        "/api/v1/customers",
        body,
        **{"Content-Type": "application/json"},
        **api_headers(app, users.concierge),
    )
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"
    assert counts(app) == before


def test_a_chunked_api_body_within_the_limit_is_read_in_full(app: Flask, users: Users) -> None:
    client = app.test_client()
    body = json.dumps({"name": "Chunked", "email": "c@example.com"}).encode()
    response = _chunked(
        client,
        "/api/v1/customers",
        body,
        **{"Content-Type": "application/json"},
        **api_headers(app, users.concierge),
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["name"] == "Chunked"


# -- against a real ``hub serve`` (gunicorn), over a raw socket ------------------------------


@pytest.fixture
def served(app: Flask, database: conftest.TestDatabase, tmp_path: Path) -> Iterator[Server]:
    """``hub serve --no-worker`` on the test database, stopped after the test."""
    server = Server(database, tmp_path, "--no-worker")
    try:
        assert wait_until(server.ready, timeout=30), server.log()
        yield server
    finally:
        if server.process.poll() is None:
            server.process.kill()
        server.process.wait()


def _raw(port: int, head: bytes, body: Iterable[bytes] = ()) -> bytes:
    """Send a request as bytes and return the whole answer (the server may close early)."""
    answer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        try:
            sock.sendall(head)
            for part in body:
                sock.sendall(part)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before taking it all
        sock.shutdown(socket.SHUT_WR)
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(65536):
                answer += chunk
    return answer


def _chunks(data: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        part = data[start : start + size]
        yield b"%x\r\n%s\r\n" % (len(part), part)
    yield b"0\r\n\r\n"


@pytest.mark.slow
def test_gunicorn_refuses_a_chunked_api_body_over_the_limit_with_a_json_413(
    served: Server, app: Flask, users: Users
) -> None:
    token = api_headers(app, users.concierge)["Authorization"]
    body = json.dumps({"name": "Chunked", "email": "c@example.com", "notes": PADDING}).encode()
    head = (
        "POST /api/v1/customers HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{served.port}\r\n"
        f"Authorization: {token}\r\n"
        "Content-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    answer = _raw(served.port, head, _chunks(body))
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 413"), answer[:300]
    assert b'"too_large"' in rest
    assert counts(app)["customers"] == 0


def test_an_api_address_too_long_is_a_json_414(app: Flask, users: Users) -> None:
    client = app.test_client()
    headers = api_headers(app, users.concierge)
    response = client.get("/api/v1/orders", query_string={"q": "x" * 5000}, headers=headers)
    assert response.status_code == 414
    assert response.get_json()["error"]["code"] == "uri_too_long"


def test_an_api_header_too_long_is_a_json_431(app: Flask, users: Users) -> None:
    client = app.test_client()
    headers = {**api_headers(app, users.concierge), "X-Padding": "x" * 9000}
    response = client.get("/api/v1/orders", headers=headers)
    assert response.status_code == 431
    assert response.get_json()["error"]["code"] == "headers_too_large"


@pytest.mark.slow
@pytest.mark.parametrize(
    "target, header, status",
    [("/api/v1/orders?q=" + "x" * 6000, "", b"414"), ("/api/v1/orders", "x" * 12000, b"431")],
    ids=["request-line", "header"],
)
def test_gunicorn_lets_the_app_answer_a_long_api_request_line_or_header_in_json(
    served: Server, target: str, header: str, status: bytes
) -> None:
    head = (
        f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{served.port}\r\n"
        f"X-Padding: {header}\r\nConnection: close\r\n\r\n"
    ).encode()
    answer = _raw(served.port, head)
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 " + status), answer[:300]
    assert b"application/json" in rest and b'"error"' in rest
