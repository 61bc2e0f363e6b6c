"""The hub builds the Stripe connector from its configuration: on with a key, off without."""

from __future__ import annotations

from connectors.stripe.connector import OFF_REASON, StripeConnector
from hub.config import load_config
from hub.outbox.connectors import VENDOR_OFF_REASONS, build_connectors


def test_with_a_key_the_hub_builds_a_live_stripe_connector_at_the_configured_pace() -> None:
    cfg = load_config(
        {"stripe": {"api_key": "sk_live_x", "api_base": "http://127.0.0.1:9"}}, environ={}
    )
    found = build_connectors(cfg)
    connector = found.live["stripe"]
    assert isinstance(connector, StripeConnector)
    assert connector.limiter.per_second == 80.0
    assert connector.topics == {"customer.upserted", "invoice.requested", "invoice.cancelled"}
    assert connector.max_batch == 1
    connector.close()


def test_without_a_key_billing_waits_and_the_reason_is_marked_for_translation() -> None:
    found = build_connectors(load_config({}, environ={}))
    assert found.off["stripe"].reason == OFF_REASON
    assert OFF_REASON in VENDOR_OFF_REASONS
