"""The whole billing loop against the Stripe emulator, with the real connector and dispatcher.

A concierge takes an order, a provider marks it done, the outbox delivers the invoice the
ledger decided, the customer pays it in Stripe, Stripe's signed webhooks come back, the
worker applies them, and the order page shows the order paid with its invoice: per order,
and monthly. Totals equal the hub's to the cent, with both VAT rates and quantities like 1,5.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import stripe
from flask import Flask

from connectors.stripe.connector import StripeConnector
from hub.config import get_config
from hub.db import get_db, get_session, utcnow, write_transaction
from hub.ledger.actor import Actor
from hub.ledger.customers import CustomerInput, set_billing_mode, update_customer
from hub.ledger.fulfilment import complete_order
from hub.ledger.invoice_periods import period_of
from hub.ledger.periodic_invoicing import run_periodic_invoicing
from hub.models import BillingMode, Customer
from hub.outbox.connectors import build_connectors
from jobs.dispatcher import dispatch_batch
from jobs.registry import dispatch_settings
from sandbox.stripe import StripeEmulator
from tests import conftest
from tests.conftest import SignIn, Users
from tests.factories import make_customer, make_order
from tests.integration.stripe_support import (
    apply_inbox,
    emulator,
    events_of,
    hub_on_emulator,
    ledger_invoice,
    order_of,
    post_event,
    stripe_client,
)

__all__ = ["emulator", "stripe_client"]

#: 1,5 h of cleaning at 10 % VAT, 2,5 h of assembly and a parcel at 20 %.
LINES = [
    {"service_code": "CLEANING", "quantity": "1.5"},
    {"service_code": "ASSEMBLY", "quantity": "2.5"},
    {"service_code": "PARCEL", "quantity": "1"},
]


@pytest.fixture
def billing_hub(
    app: Flask, database: conftest.TestDatabase, tmp_path: Path, emulator: StripeEmulator
) -> Iterator[Flask]:
    """The hub billing per order at once (no delay), pointed at the emulator."""
    flask_app = hub_on_emulator(database, tmp_path, emulator, per_order_delay_minutes=0)
    yield flask_app
    get_db(flask_app).dispose()


def _deliver_to_stripe(app: Flask) -> int:
    """Run the Stripe connector's dispatch once, as the worker does; return rows delivered."""
    with app.app_context():
        connector = build_connectors(get_config(app)).live["stripe"]
        assert isinstance(connector, StripeConnector)
        try:
            _, counts = dispatch_batch(get_session(), connector, dispatch_settings(app))
        finally:
            connector.close()
    assert counts.retried == counts.dead == 0
    return counts.delivered


def _pay_and_send_news(
    app: Flask, client: stripe.StripeClient, emulator: StripeEmulator, stripe_id: str
) -> None:
    client.v1.invoices.pay(stripe_id, {"payment_method": "pm_card_visa"})
    events = events_of(emulator, stripe_id)
    web = app.test_client()
    for kind in ("invoice.finalized", "invoice.paid"):
        assert post_event(web, events[kind]).status_code == 200
    apply_inbox(app)


def _done(app: Flask, users: Users, ref: str) -> None:
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            complete_order(session, Actor.of(users.provider), ref)


def test_per_order_an_order_done_is_invoiced_paid_and_shown_paid_on_its_page(
    billing_hub: Flask,
    users: Users,
    emulator: StripeEmulator,
    stripe_client: stripe.StripeClient,
    signed_in: SignIn,
) -> None:
    customer = make_customer(billing_hub, email="lea@example.com")
    ref = make_order(
        billing_hub,
        customer,
        by=users.concierge,
        lines=LINES,
        provider_id=users.provider.id,
        scheduled_at=(utcnow() - timedelta(hours=2)).isoformat(),
    )
    _done(billing_hub, users, ref)
    assert _deliver_to_stripe(billing_hub) == 2  # the customer's own event, and the invoice

    order = order_of(billing_hub, ref)
    assert order.billing_status == "invoiced"
    assert order.invoice_id is not None
    invoice = ledger_invoice(billing_hub, order.invoice_id)
    assert invoice.stripe_invoice_id is not None
    in_stripe = stripe_client.v1.invoices.retrieve(invoice.stripe_invoice_id)
    assert in_stripe.status == "open"
    assert in_stripe.total == order.total_cents == invoice.total_cents
    assert sum(t.amount for t in in_stripe.total_taxes or []) == order.vat_cents
    descriptions = [line.description for line in in_stripe.lines.data]
    assert "Ménage à domicile 1,5\u00a0h \u00d7 28,00\u00a0€" in descriptions

    _pay_and_send_news(billing_hub, stripe_client, emulator, invoice.stripe_invoice_id)
    assert order_of(billing_hub, ref).billing_status == "paid"
    page = signed_in("concierge", english=False).get(f"/orders/{ref}").get_data(as_text=True)
    assert invoice.number is not None and invoice.number in page
    assert in_stripe.hosted_invoice_url is not None
    assert in_stripe.hosted_invoice_url.replace("&", "&amp;") in page


def test_monthly_one_invoice_bills_a_customers_orders_and_pays_them_all(
    billing_hub: Flask,
    users: Users,
    emulator: StripeEmulator,
    stripe_client: stripe.StripeClient,
) -> None:
    customer = make_customer(billing_hub, email="max@example.com")
    with billing_hub.app_context():
        session = get_session()
        set_billing_mode(session, Actor.of(users.admin), customer, BillingMode.MONTHLY)
    refs = [
        make_order(
            billing_hub,
            customer,
            by=users.concierge,
            lines=LINES[: 1 + n % 3],
            provider_id=users.provider.id,
            scheduled_at=(utcnow() - timedelta(hours=2)).isoformat(),
        )
        for n in range(5)
    ]
    for ref in refs:
        _done(billing_hub, users, ref)
    # Only the customer's own event goes to Stripe until the monthly run decides the invoice.
    assert _deliver_to_stripe(billing_hub) == 1
    with billing_hub.app_context():
        session = get_session()
        zone = ZoneInfo(get_config(billing_hub).hub.timezone)
        period = period_of(BillingMode.MONTHLY, utcnow(), zone)
        run_periodic_invoicing(session, BillingMode.MONTHLY, period)
    assert {order_of(billing_hub, ref).billing_status for ref in refs} == {"pending"}
    assert _deliver_to_stripe(billing_hub) == 1

    orders = [order_of(billing_hub, ref) for ref in refs]
    (invoice_id,) = {o.invoice_id for o in orders}
    assert invoice_id is not None
    invoice = ledger_invoice(billing_hub, invoice_id)
    assert invoice.stripe_invoice_id is not None
    in_stripe = stripe_client.v1.invoices.retrieve(invoice.stripe_invoice_id)
    assert in_stripe.total == sum(o.total_cents for o in orders)
    assert sum(t.amount for t in in_stripe.total_taxes or []) == sum(o.vat_cents for o in orders)
    assert {o.billing_status for o in orders} == {"invoiced"}

    _pay_and_send_news(billing_hub, stripe_client, emulator, invoice.stripe_invoice_id)
    assert {order_of(billing_hub, ref).billing_status for ref in refs} == {"paid"}


def test_a_customer_edited_in_the_hub_reads_the_same_in_stripe(
    billing_hub: Flask,
    users: Users,
    stripe_client: stripe.StripeClient,
) -> None:
    customer = make_customer(billing_hub, email="nora@example.com")
    ref = make_order(
        billing_hub,
        customer,
        by=users.concierge,
        lines=LINES[:1],
        provider_id=users.provider.id,
        scheduled_at=(utcnow() - timedelta(hours=2)).isoformat(),
    )
    _done(billing_hub, users, ref)
    _deliver_to_stripe(billing_hub)  # the first invoice makes the customer in Stripe
    edited = CustomerInput.parse(
        {
            "name": "Nora Benali",
            "email": "nora.benali@example.com",
            "phone": "06 12 34 56 78",
            "address": "12 rue des Lilas, 75020 Paris",
        }
    )
    with billing_hub.app_context():
        session = get_session()
        with write_transaction(session):
            update_customer(session, customer, edited, expected_version=None)
    assert _deliver_to_stripe(billing_hub) == 1

    with billing_hub.app_context():
        stripe_id = get_session().get(Customer, customer).stripe_customer_id  # type: ignore[union-attr]
    assert stripe_id is not None
    in_stripe = stripe_client.v1.customers.retrieve(stripe_id)
    assert (in_stripe.name, in_stripe.email) == ("Nora Benali", "nora.benali@example.com")
    assert in_stripe.phone is not None and in_stripe.phone.replace(" ", "").endswith("612345678")
    assert in_stripe.address is not None
    assert "12 rue des Lilas" in (in_stripe.address.line1 or "")
