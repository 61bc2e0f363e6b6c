"""Webhooks leave the emulator signed, and can come twice, out of order or late."""

from __future__ import annotations

import json
import time

import pytest
import stripe

from sandbox.stripe import StripeEmulator, sign
from tests.sandbox.stripe.conftest import WebhookSink


def _paid_invoice(client: stripe.StripeClient) -> str:
    customer = client.v1.customers.create({"name": "Ada"})
    draft = client.v1.invoices.create({"customer": customer.id})
    client.v1.invoices.add_lines(draft.id, {"lines": [{"amount": 4500}]})
    client.v1.invoices.finalize_invoice(draft.id)
    client.v1.invoices.pay(draft.id, {"paid_out_of_band": True})
    return draft.id


def test_events_are_posted_signed_and_verify_with_the_library(
    client: stripe.StripeClient, emulator: StripeEmulator, webhook_sink: WebhookSink
) -> None:
    secret = emulator.webhooks.add_endpoint(webhook_sink.url)
    invoice_id = _paid_invoice(client)
    assert emulator.webhooks.flush()
    events = [client.construct_event(r.payload, r.signature, secret) for r in webhook_sink.received]
    paid = [e for e in events if e.type == "invoice.paid"]
    assert len(paid) == 1 and paid[0].data.object["id"] == invoice_id
    recorded = [e.id for e in client.v1.events.list({"limit": 100}).data]
    assert sorted(e.id for e in events) == sorted(recorded)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            webhook_sink.received[0].payload, webhook_sink.received[0].signature, "whsec_other"
        )


def test_an_endpoint_can_ask_for_some_event_types_only(
    client: stripe.StripeClient, emulator: StripeEmulator, webhook_sink: WebhookSink
) -> None:
    emulator.webhooks.add_endpoint(webhook_sink.url, events=["invoice.paid"])
    _paid_invoice(client)
    assert emulator.webhooks.flush()
    assert [json.loads(r.payload)["type"] for r in webhook_sink.received] == ["invoice.paid"]


def test_duplicates_deliver_each_event_more_than_once(
    client: stripe.StripeClient, emulator: StripeEmulator, webhook_sink: WebhookSink
) -> None:
    emulator.webhooks.add_endpoint(webhook_sink.url, events=["invoice.paid"])
    emulator.webhooks.duplicates = 2
    _paid_invoice(client)
    assert emulator.webhooks.flush()
    ids = [json.loads(r.payload)["id"] for r in webhook_sink.received]
    assert len(ids) == 3 and len(set(ids)) == 1


def test_reordering_shuffles_a_burst_of_events(
    client: stripe.StripeClient, emulator: StripeEmulator, webhook_sink: WebhookSink
) -> None:
    emulator.webhooks.add_endpoint(webhook_sink.url)
    emulator.webhooks.reorder = True
    emulator.webhooks.delay_seconds = 0.5
    _paid_invoice(client)
    assert emulator.webhooks.flush()
    delivered = [json.loads(r.payload)["id"] for r in webhook_sink.received]
    recorded = [e.id for e in reversed(client.v1.events.list({"limit": 100}).data)]
    assert sorted(delivered) == sorted(recorded)
    assert delivered != recorded


def test_a_delay_holds_deliveries_back(
    client: stripe.StripeClient, emulator: StripeEmulator, webhook_sink: WebhookSink
) -> None:
    emulator.webhooks.add_endpoint(webhook_sink.url)
    emulator.webhooks.delay_seconds = 0.3
    started = time.monotonic()
    client.v1.customers.create({"name": "Ada"})
    assert webhook_sink.received == []
    assert emulator.webhooks.flush()
    assert time.monotonic() - started >= 0.3
    assert len(webhook_sink.received) == 1


def test_sign_makes_headers_the_library_accepts_or_rejects_as_stale() -> None:
    payload = json.dumps({"id": "evt_1", "object": "event", "type": "invoice.paid"})
    fresh = sign(payload, "whsec_test")
    assert stripe.Webhook.construct_event(payload, fresh, "whsec_test").id == "evt_1"
    stale = sign(payload, "whsec_test", timestamp=int(time.time()) - 600)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, stale, "whsec_test", tolerance=300)
