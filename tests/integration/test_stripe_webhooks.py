"""Stripe's webhooks at the door: only signed, fresh events of the key's mode are stored, once."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any

import stripe
from flask import Flask

from hub.db import get_db
from hub.models import InboxStatus
from sandbox.stripe import StripeEmulator, sign
from tests import conftest
from tests.conftest import Users, make_app
from tests.integration.stripe_support import (
    SECRET,
    bill_in_ledger,
    emulator,
    events_of,
    post_event,
    stored_events,
    stripe_client,
    stripe_hub,
    stripe_invoice,
)

__all__ = ["emulator", "stripe_client", "stripe_hub"]


def _paid_event(
    stripe_hub: Flask, users: Users, client: stripe.StripeClient, emulator: StripeEmulator
) -> dict[str, Any]:
    billed = bill_in_ledger(stripe_hub, users)
    invoice = stripe_invoice(client, billed)
    assert invoice.id is not None
    client.v1.invoices.pay(invoice.id, {"paid_out_of_band": True})
    return events_of(emulator, invoice.id)["invoice.paid"]


def test_a_signed_event_is_stored_and_acknowledged_without_a_csrf_token(
    stripe_hub: Flask,
    users: Users,
    stripe_client: stripe.StripeClient,
    emulator: StripeEmulator,
) -> None:
    event = _paid_event(stripe_hub, users, stripe_client, emulator)
    response = post_event(stripe_hub.test_client(), event)
    assert response.status_code == 200
    assert response.get_json() == {"received": True, "receipt": "stored"}
    (row,) = stored_events(stripe_hub)
    assert (row.event_id, row.type, row.status) == (event["id"], "invoice.paid", "received")
    assert row.payload == event
    # The exemption is this route's alone: a page's form still needs its token.
    assert stripe_hub.test_client().post("/login", data={"email": "x"}).status_code == 400


def test_forged_missing_and_stale_signatures_are_refused_and_nothing_is_stored(
    stripe_hub: Flask,
    users: Users,
    stripe_client: stripe.StripeClient,
    emulator: StripeEmulator,
) -> None:
    event = _paid_event(stripe_hub, users, stripe_client, emulator)
    client = stripe_hub.test_client()
    forged = post_event(client, event, secret="whsec_someone_else")
    missing = post_event(client, event, signature="")
    garbled = post_event(client, event, signature="t=abc,v1=")
    stale = post_event(client, event, at=int(time.time()) - 301)
    tampered_body = json.dumps({**event, "id": "evt_other"})
    tampered = post_event(client, tampered_body, signature=_signature_of(event))
    for response in (forged, missing, garbled, stale, tampered):
        assert response.status_code == 400, response.get_data(as_text=True)
    assert stored_events(stripe_hub) == []


def _signature_of(event: dict[str, Any]) -> str:
    from sandbox.stripe import sign

    return sign(json.dumps(event), SECRET)


def test_an_event_from_the_other_mode_is_refused(
    stripe_hub: Flask,
    users: Users,
    stripe_client: stripe.StripeClient,
    emulator: StripeEmulator,
) -> None:
    event = _paid_event(stripe_hub, users, stripe_client, emulator)
    response = post_event(stripe_hub.test_client(), {**event, "livemode": True})
    assert response.status_code == 400
    assert "live mode" in response.get_json()["error"]["message"]
    assert stored_events(stripe_hub) == []


def test_a_test_event_is_refused_by_a_hub_with_a_live_key(
    app: Flask, database: conftest.TestDatabase, tmp_path: Path, emulator: StripeEmulator
) -> None:
    live = make_app(
        database,
        tmp_path,
        stripe={"api_key": "sk_live_hub", "api_base": emulator.base_url, "webhook_secret": SECRET},
    )
    event = {"id": "evt_1", "object": "event", "type": "invoice.paid", "created": int(time.time())}
    try:
        response = post_event(live.test_client(), {**event, "livemode": False, "data": {}})
        assert response.status_code == 400
        assert stored_events(live) == []
    finally:
        get_db(live).dispose()


def test_without_a_webhook_secret_the_route_says_what_to_set_and_stores_nothing(
    app: Flask, users: Users
) -> None:
    event = {"id": "evt_1", "type": "invoice.paid", "created": 1, "livemode": False}
    response = post_event(app.test_client(), event)
    assert response.status_code == 503
    assert "HUB_STRIPE_WEBHOOK_SECRET" in response.get_json()["error"]["message"]
    assert stored_events(app) == []


def test_a_body_over_one_megabyte_is_refused_unread(stripe_hub: Flask) -> None:
    body = b'{"id": "evt_big", "pad": "' + b"x" * (1024 * 1024) + b'"}'
    response = post_event(stripe_hub.test_client(), body)
    assert response.status_code == 413
    assert stored_events(stripe_hub) == []


def test_a_chunked_body_without_a_length_is_capped_too(stripe_hub: Flask) -> None:
    # A server that de-chunks (wsgi.input_terminated) hands over a stream of unknown length.
    body = b'{"id": "evt_big", "pad": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    response = stripe_hub.test_client().post(
        "/webhooks/stripe",
        input_stream=io.BytesIO(body),
        headers={"Stripe-Signature": sign(body.decode(), SECRET), "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
        content_type="application/json",
    )
    assert response.status_code == 413
    assert stored_events(stripe_hub) == []


def test_a_signed_body_that_is_not_an_event_is_refused(stripe_hub: Flask) -> None:
    client = stripe_hub.test_client()
    assert post_event(client, "[1, 2]").status_code == 400
    assert post_event(client, {"id": "evt_1", "type": "invoice.paid"}).status_code == 400
    assert post_event(client, b"\xff\xfe not text").status_code == 400
    # A creation time no clock can hold is not a 500 that Stripe retries for three days.
    far = {"id": "evt_far", "type": "invoice.paid", "created": 10**12, "livemode": False}
    assert post_event(client, far).status_code == 400
    assert stored_events(stripe_hub) == []


def test_a_duplicate_is_stored_once(
    stripe_hub: Flask,
    users: Users,
    stripe_client: stripe.StripeClient,
    emulator: StripeEmulator,
) -> None:
    event = _paid_event(stripe_hub, users, stripe_client, emulator)
    client = stripe_hub.test_client()
    first, second = post_event(client, event), post_event(client, event)
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.get_json()["receipt"] == "duplicate"
    assert [row.status for row in stored_events(stripe_hub)] == [InboxStatus.RECEIVED]


def test_an_unknown_type_is_stored_and_acknowledged(stripe_hub: Flask) -> None:
    event = {
        "id": "evt_unknown",
        "object": "event",
        "type": "customer.subscription.created",
        "created": int(time.time()),
        "livemode": False,
        "data": {"object": {"id": "sub_1", "object": "subscription"}},
    }
    assert post_event(stripe_hub.test_client(), event).status_code == 200
    assert [row.type for row in stored_events(stripe_hub)] == ["customer.subscription.created"]


def test_the_emulator_delivers_its_webhooks_to_the_route(
    stripe_hub: Flask, users: Users, stripe_client: stripe.StripeClient, emulator: StripeEmulator
) -> None:
    """The emulator's own signed deliveries, relayed into the hub: every one is accepted."""
    relay = _Relay(stripe_hub)
    emulator.webhooks.add_endpoint(relay.start(), SECRET)
    try:
        billed = bill_in_ledger(stripe_hub, users)
        invoice = stripe_invoice(stripe_client, billed)
        assert invoice.id is not None
        stripe_client.v1.invoices.pay(invoice.id, {"paid_out_of_band": True})
        assert emulator.webhooks.flush(timeout=10)
    finally:
        relay.stop()
    statuses = {delivery.status for delivery in emulator.webhooks.deliveries}
    assert statuses == {200}
    assert {"invoice.finalized", "invoice.paid"} <= {row.type for row in stored_events(stripe_hub)}


class _Relay:
    """The hub served on a loopback port, for the emulator to post its webhooks to."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def start(self) -> str:
        import threading

        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", 0, self.app, threaded=False)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return f"http://localhost:{self.server.server_port}/webhooks/stripe"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def test_an_event_with_a_nul_character_is_stored_without_it(stripe_hub: Flask) -> None:
    event = {
        "id": "evt_nul",
        "object": "event",
        "type": "customer.updated",
        "livemode": False,
        "created": 1_764_547_200,
        "data": {"object": {"id": "cus_1", "object": "customer", "name": "Ana\u0000\u00efs"}},
    }
    assert post_event(stripe_hub.test_client(), json.dumps(event)).status_code == 200
    (stored,) = stored_events(stripe_hub)
    assert stored.payload["data"]["object"]["name"] == "Ana\u00efs"
