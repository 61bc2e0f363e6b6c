"""Fixtures for the Stripe emulator: a running emulator, a real StripeClient, a webhook sink."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest
import stripe
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from sandbox.stripe import StripeEmulator

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


@pytest.fixture
def emulator() -> Iterator[StripeEmulator]:
    with StripeEmulator() as running:
        yield running


@dataclass
class Clients:
    """Make StripeClients against the emulator and close their HTTP sessions afterwards."""

    emulator: StripeEmulator
    made: list[stripe.RequestsClient] = field(default_factory=list)

    def make(
        self, *, api_key: str | None = None, timeout: float = 5.0, retries: int = 0
    ) -> stripe.StripeClient:
        http = stripe.RequestsClient(timeout=timeout)
        self.made.append(http)
        return stripe.StripeClient(
            api_key if api_key is not None else self.emulator.api_key,
            base_addresses={"api": self.emulator.base_url},
            http_client=http,
            max_network_retries=retries,
        )


@pytest.fixture
def clients(emulator: StripeEmulator) -> Iterator[Clients]:
    made = Clients(emulator)
    yield made
    for http in made.made:
        http.close()  # type: ignore[no-untyped-call]


@pytest.fixture
def client(clients: Clients) -> stripe.StripeClient:
    return clients.make()


class _Quiet(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Log nothing."""


@dataclass
class Received:
    """One webhook POST as the endpoint saw it."""

    payload: str
    signature: str


@dataclass
class WebhookSink:
    """A loopback HTTP endpoint that records the webhooks it receives."""

    url: str
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length).decode()
        with self.lock:
            self.received.append(Received(body, environ.get("HTTP_STRIPE_SIGNATURE", "")))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]


@pytest.fixture
def webhook_sink() -> Iterator[WebhookSink]:
    sink = WebhookSink(url="")
    server: BaseWSGIServer = make_server(
        "127.0.0.1", 0, sink.app, threaded=True, request_handler=_Quiet
    )
    sink.url = f"http://127.0.0.1:{server.server_port}/webhooks/stripe"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield sink
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
