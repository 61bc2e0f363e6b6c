"""``hub serve --sandbox``: emulators beside the hub, the hub pointed at them, a banner on pages."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import stripe
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from connectors.sheets.connector import SheetsConnector
from connectors.stripe.client import make_client
from hub.config import Config, load_config
from hub.db import get_db
from hub.outbox.connectors import build_connectors
from hub.sandbox_mode import SPREADSHEET_ID, Sandbox, SandboxError, start_sandbox
from sandbox.sheets import gspread_client
from tests import conftest
from tests.conftest import Users, login
from tests.integration.workers import HUB, wait_until, worker_env

BANNER_FR = "Bac à sable : aucun paiement réel, Stripe et Google sont simulés."
BANNER_EN = "Sandbox: no real payment, Stripe and Google are simulated."


def _config(*layers: dict[str, dict[str, Any]], **sections: dict[str, Any]) -> Config:
    """A configuration read from nothing but these settings (no file, no HUB_ variables)."""
    merged: dict[str, dict[str, Any]] = {"hub": {"secret_key": "test-secret-key-0123456789abcdef"}}
    for layer in (sections, *layers):
        for name, values in layer.items():
            merged.setdefault(name, {}).update(values)
    return load_config(merged, environ={"HUB_CONFIG": "/dev/null"})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def sandboxes() -> Iterator[list[Sandbox]]:
    """Sandboxes a test started, stopped after it whatever happens."""
    started: list[Sandbox] = []
    yield started
    for box in started:
        box.stop()


class _Receiver:
    """A stand-in for the hub's webhook route: keeps each body with its Stripe-Signature."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str]] = []
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, self)
        self.port = self.server.server_port
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def __call__(self, environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        if request.path == "/webhooks/stripe":
            self.received.append(
                (request.get_data(as_text=True), request.headers.get("Stripe-Signature", ""))
            )
        return Response("", status=200)(environ, start_response)

    def stop(self) -> None:
        self.server.shutdown()
        self._thread.join(timeout=10)


def test_the_hub_is_given_the_emulators_key_base_and_webhook_secret(
    sandboxes: list[Sandbox], tmp_path: Path
) -> None:
    box = start_sandbox(_config(), host="127.0.0.1", port=8123, stripe_port=0)
    sandboxes.append(box)

    cfg = _config(box.overrides)
    assert cfg.hub.sandbox is True
    assert cfg.stripe.api_key == box.stripe.api_key
    assert cfg.stripe.api_key.startswith("sk_test_") and not cfg.stripe.live
    assert cfg.stripe.api_base == box.stripe.base_url
    (endpoint,) = box.stripe.webhooks.endpoints
    assert endpoint.url == "http://127.0.0.1:8123/webhooks/stripe"
    assert cfg.stripe.webhook_secret == endpoint.secret
    assert cfg.stripe.webhook_secret.startswith("whsec_")
    # A per-order invoice comes within a minute in a demo, not after the production delay.
    assert cfg.stripe.per_order_delay_minutes == 1.0
    # The xlsx backend needs no Google: no Sheets emulator, no sheet settings touched.
    assert box.sheets is None
    assert cfg.sheets.api_base == "" and cfg.sheets.spreadsheet_id == ""

    # The hub's own client, built from those settings, works against the emulator.
    client = make_client(cfg.stripe.api_key, cfg.stripe.api_base)
    customer = client.v1.customers.create({"name": "Jeanne", "metadata": {"hub_customer_id": "1"}})
    assert client.v1.customers.retrieve(customer.id).name == "Jeanne"


def test_the_emulators_webhooks_verify_with_the_secret_the_hub_is_given(
    sandboxes: list[Sandbox],
) -> None:
    hub = _Receiver()
    try:
        box = start_sandbox(_config(), host="127.0.0.1", port=hub.port, stripe_port=0)
        sandboxes.append(box)
        cfg = _config(box.overrides)
        client = make_client(cfg.stripe.api_key, cfg.stripe.api_base)
        client.v1.customers.create({"name": "Jeanne"})
        assert box.stripe.webhooks.flush()
    finally:
        hub.stop()

    ((payload, signature),) = hub.received
    event = stripe.Webhook.construct_event(payload, signature, cfg.stripe.webhook_secret)
    assert event.type == "customer.created"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, signature, "whsec_someone_else")


def test_the_google_backend_gets_the_sheets_emulator_and_its_spreadsheet(
    sandboxes: list[Sandbox],
) -> None:
    box = start_sandbox(
        _config(sheets={"backend": "google"}), host="127.0.0.1", port=8123, stripe_port=0
    )
    sandboxes.append(box)

    cfg = _config(box.overrides, sheets={"backend": "google"})
    assert box.sheets is not None
    assert cfg.sheets.api_base == box.sheets.base_url
    assert cfg.sheets.spreadsheet_id == SPREADSHEET_ID
    gc = gspread_client(cfg.sheets.api_base)
    try:
        worksheet = gc.open_by_key(cfg.sheets.spreadsheet_id).sheet1
        worksheet.update(values=[["C-2026-000001"]], range_name="A1")
        assert worksheet.acell("A1").value == "C-2026-000001"
    finally:
        gc.http_client.session.close()
    # The hub's own sheet connector is on and writes there, with no service account.
    connector = build_connectors(cfg).live["sheets"]
    assert isinstance(connector, SheetsConnector)


def test_stopping_frees_the_ports_and_the_next_run_keeps_the_stripe_account(
    tmp_path: Path,
) -> None:
    state = tmp_path / "sandbox" / "stripe.json"
    stripe_port = _free_port()
    cfg = _config(sheets={"backend": "google"})
    box = start_sandbox(cfg, host="127.0.0.1", port=8123, stripe_port=stripe_port, state_file=state)
    assert box.sheets is not None
    sheets_url = box.sheets.base_url
    client = make_client(box.stripe.api_key, box.stripe.base_url)
    customer = client.v1.customers.create({"name": "Jeanne", "metadata": {"hub_customer_id": "7"}})
    box.stop()

    assert not _listening(stripe_port)
    with pytest.raises(requests.ConnectionError):
        requests.get(sheets_url, timeout=2)
    assert customer.id in json.loads(state.read_text())["objects"]["customer"]

    # The ledger keeps Stripe ids across restarts: the next sandbox must still know them.
    again = start_sandbox(
        cfg, host="127.0.0.1", port=8123, stripe_port=stripe_port, state_file=state
    )
    try:
        client = make_client(again.stripe.api_key, again.stripe.base_url)
        assert client.v1.customers.retrieve(customer.id).name == "Jeanne"
        created = client.v1.customers.create({"name": "Paul"})
        listed = [c.id for c in client.v1.customers.list().data]
        assert listed == [created.id, customer.id]
    finally:
        again.stop()


def test_a_busy_stripe_port_is_refused_with_a_sentence() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SandboxError, match=f"127.0.0.1:{port}.*--sandbox-port"):
            start_sandbox(_config(), host="127.0.0.1", port=8123, stripe_port=port)


def test_a_live_key_is_never_swapped_for_the_emulator() -> None:
    # Its outbox may hold real invoices; the sandbox would swallow them.
    live = _config(stripe={"api_key": "sk_live_123"})
    with pytest.raises(SandboxError, match="live Stripe key"):
        start_sandbox(live, host="127.0.0.1", port=8123, stripe_port=0)


def test_a_hub_on_every_interface_takes_the_emulators_webhooks_on_loopback(
    sandboxes: list[Sandbox],
) -> None:
    cfg = _config(hub={"base_url": "https://hub.example.com", "allowed_hosts": "10.0.0.5"})
    box = start_sandbox(cfg, host="0.0.0.0", port=8123, stripe_port=0)
    sandboxes.append(box)

    assert box.webhook_url == "http://127.0.0.1:8123/webhooks/stripe"
    served = _config(box.overrides, hub={"base_url": "https://hub.example.com"})
    assert served.trusted_hosts == ["hub.example.com", "10.0.0.5", "127.0.0.1"]


def test_every_page_says_sandbox_when_it_is_on(
    database: conftest.TestDatabase, tmp_path: Path, users: Users
) -> None:
    sandbox_app = conftest.make_app(database, tmp_path, hub={"sandbox": True, "language": "fr"})
    try:
        client = sandbox_app.test_client()
        assert BANNER_FR in client.get("/login").get_data(as_text=True)
        login(client, users.concierge)
        for path in ("/", "/orders", "/customers", "/orders/new"):
            response = client.get(path, follow_redirects=True)
            assert response.status_code == 200, path
            assert BANNER_FR in response.get_data(as_text=True), path
        assert BANNER_FR in client.get("/no-such-page").get_data(as_text=True)
    finally:
        get_db(sandbox_app).dispose()


def test_no_page_says_sandbox_when_it_is_off(app: Flask, users: Users) -> None:
    client = app.test_client()
    login(client, users.concierge)
    for path in ("/login", "/", "/orders", "/customers"):
        page = client.get(path, follow_redirects=True).get_data(as_text=True)
        assert BANNER_FR not in page and BANNER_EN not in page, path
        assert "sandbox-banner" not in page, path


@pytest.mark.slow
def test_hub_serve_sandbox_runs_the_emulator_beside_the_hub_and_stops_it(
    app: Flask, database: conftest.TestDatabase, tmp_path: Path
) -> None:
    port, stripe_port = _free_port(), _free_port()
    log_path = tmp_path / "serve.log"
    env = worker_env(database, tmp_path)
    env["HUB_BASE_URL"] = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                *(str(HUB), "serve", "--sandbox", "--sandbox-port", str(stripe_port)),
                *("--port", str(port), "--workers", "1"),
            ],
            env=env,
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def output() -> str:
        return log_path.read_text(errors="replace")

    def ready() -> bool:
        try:
            return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).ok
        except requests.ConnectionError:
            return False

    try:
        assert wait_until(ready, timeout=30), output()
        assert "nothing reaches Stripe or Google" in output()
        assert f"Stripe emulator on http://127.0.0.1:{stripe_port}" in output()
        page = requests.get(f"http://127.0.0.1:{port}/login", timeout=5).text
        assert BANNER_FR in page

        # The emulator answers the key the hub was given...
        answer = requests.get(
            f"http://127.0.0.1:{stripe_port}/v1/customers",
            auth=("sk_test_emulator", ""),
            timeout=5,
        )
        assert answer.status_code == 200, answer.text
        # ...and the embedded worker, a child process, was handed the same settings.
        workers = [
            environ
            for environ in _children_environ(process.pid)
            if environ.get("HUB_STRIPE_API_BASE") == f"http://127.0.0.1:{stripe_port}"
        ]
        assert len(workers) == 1, output()
        assert workers[0]["HUB_STRIPE_WEBHOOK_SECRET"].startswith("whsec_")
        assert workers[0]["HUB_SANDBOX"] == "true"

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=40) == 0, output()
        assert not _listening(stripe_port)
        assert (tmp_path / "instance" / "sandbox" / "stripe.json").exists()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _children_environ(pid: int) -> list[dict[str, str]]:
    """Return the environment of each child process of pid, read from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) != pid:
            continue
        pairs = (item.decode(errors="replace").partition("=") for item in environ.split(b"\0"))
        found.append({name: value for name, _, value in pairs if name})
    return found
