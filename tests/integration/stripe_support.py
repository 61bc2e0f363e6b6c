"""Stripe's news in tests: the emulator, a hub pointed at it, ledger invoices, signed webhooks.

Invoices are made in the emulator with the real stripe library and the hub's metadata, as
the connector makes them; their events are read back from the emulator and posted to the
hub's webhook route signed with Stripe's scheme, in whatever order a test needs.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import stripe
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from hub.db import get_db, get_session, write_transaction
from hub.ledger.actor import Actor
from hub.ledger.billing import apply_billing_news
from hub.ledger.order_access import get_order
from hub.ledger.stripe_news import NewsCounts, apply_received
from hub.models import (
    BillingMode,
    BillingStatus,
    Invoice,
    InvoiceStatus,
    Order,
    OrderEvent,
    StripeEvent,
)
from hub.models.billing import invoice_key
from sandbox.stripe import StripeEmulator, sign
from tests.conftest import TestDatabase, Users, make_app
from tests.factories import make_customer, make_order

SECRET = "whsec_hub_tests_0123456789"
DONE_AT = "2026-11-02T09:30:00+00:00"


@pytest.fixture
def emulator() -> Iterator[StripeEmulator]:
    with StripeEmulator() as running:
        yield running


@pytest.fixture
def stripe_hub(
    app: Flask, database: TestDatabase, tmp_path: Path, emulator: StripeEmulator
) -> Iterator[Flask]:
    """The hub (tables emptied by ``app``) with a Stripe test key and a webhook secret."""
    flask_app = hub_on_emulator(database, tmp_path, emulator)
    yield flask_app
    get_db(flask_app).dispose()


def hub_on_emulator(
    database: TestDatabase, tmp_path: Path, emulator: StripeEmulator, **stripe: Any
) -> Flask:
    """Return a hub whose [stripe] points at the emulator, with more [stripe] settings."""
    return make_app(
        database,
        tmp_path,
        stripe={
            "api_key": emulator.api_key,
            "api_base": emulator.base_url,
            "webhook_secret": SECRET,
            **stripe,
        },
    )


@pytest.fixture
def stripe_client(emulator: StripeEmulator) -> Iterator[stripe.StripeClient]:
    http = stripe.RequestsClient(timeout=5.0)
    yield stripe.StripeClient(
        emulator.api_key,
        base_addresses={"api": emulator.base_url},
        http_client=http,
        max_network_retries=0,
    )
    http.close()  # type: ignore[no-untyped-call]


@dataclass(frozen=True)
class Billed:
    """A ledger invoice, the orders it bills, and its customer's id."""

    invoice_id: int
    refs: list[str]
    customer_id: int
    total_cents: int

    @property
    def key(self) -> str:
        return invoice_key(self.invoice_id)


def bill_in_ledger(
    app: Flask, users: Users, *, orders: int = 1, email: str | None = "j@example.com"
) -> Billed:
    """Record done orders and the ledger invoice that bills them (billing pending if it can)."""
    customer_id = make_customer(app, email=email)
    refs = [
        make_order(
            app,
            customer_id,
            by=users.concierge,
            scheduled_at=DONE_AT,
            provider_id=users.provider.id,
            status="done",
        )
        for _ in range(orders)
    ]
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            found = [get_order(session, ref) for ref in refs]
            invoice = Invoice(
                customer_id=customer_id,
                mode=BillingMode.PER_ORDER if orders == 1 else BillingMode.MONTHLY,
                collection_method="send_invoice",
                total_cents=sum(o.total_cents for o in found),
                vat_cents=sum(o.vat_cents for o in found),
            )
            session.add(invoice)
            session.flush()
            for order in found:
                order.invoice_id = invoice.id
            session.flush()
            if email:
                for ref in refs:
                    apply_billing_news(session, Actor.system("test"), ref, BillingStatus.PENDING)
            return Billed(invoice.id, refs, customer_id, invoice.total_cents)


def stripe_invoice(
    client: stripe.StripeClient,
    billed: Billed,
    *,
    amount_cents: int | None = None,
    finalize: bool = True,
) -> stripe.Invoice:
    """Make the Stripe invoice of a ledger invoice, as the connector would: hub metadata, lines."""
    customer = client.v1.customers.create(
        {"name": "Jeanne Martin", "metadata": {"hub_customer_id": str(billed.customer_id)}}
    )
    invoice = client.v1.invoices.create(
        {
            "customer": customer.id,
            "auto_advance": False,
            "collection_method": "send_invoice",
            "days_until_due": 14,
            "metadata": {"hub_invoice_key": billed.key},
        }
    )
    assert invoice.id is not None
    share = (amount_cents if amount_cents is not None else billed.total_cents) // len(billed.refs)
    client.v1.invoices.add_lines(
        invoice.id,
        {
            "lines": [
                {
                    "description": f"Commande {ref}",
                    "price_data": {
                        "currency": "eur",
                        "product_data": {"name": f"Commande {ref}"},
                        "unit_amount": share,
                    },
                    "quantity": 1,
                    "metadata": {"hub_order_ref": ref},
                }
                for ref in billed.refs
            ]
        },
    )
    if finalize:
        invoice = client.v1.invoices.finalize_invoice(invoice.id, {"auto_advance": False})
    return invoice


def link(app: Flask, billed: Billed, stripe_id: str) -> None:
    """Record what the connector's facts would: the Stripe id, the invoice open, orders invoiced."""
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            invoice = session.get(Invoice, billed.invoice_id)
            assert invoice is not None
            invoice.stripe_invoice_id, invoice.status = stripe_id, InvoiceStatus.OPEN
            for ref in billed.refs:
                apply_billing_news(session, Actor.system("test"), ref, BillingStatus.INVOICED)


def events_of(emulator: StripeEmulator, stripe_id: str) -> dict[str, dict[str, Any]]:
    """Return the emulator's events about one object, by type, as its webhooks post them."""
    found: dict[str, dict[str, Any]] = {}
    with emulator.store.lock:
        for event in reversed(emulator.store.newest_first("event")):
            if event["data"]["object"].get("id") == stripe_id:
                found.setdefault(event["type"], copy.deepcopy(event))
    return found


def post_event(
    client: FlaskClient,
    event: dict[str, Any] | str | bytes,
    *,
    secret: str = SECRET,
    at: int | None = None,
    signature: str | None = None,
) -> TestResponse:
    """Post an event to the webhook route, signed with ``secret`` (unless a signature is given)."""
    if isinstance(event, bytes):
        body = event
    else:
        body = (event if isinstance(event, str) else json.dumps(event)).encode()
    header = signature if signature is not None else sign(body.decode("latin-1"), secret, at)
    headers = {"Stripe-Signature": header} if header else {}
    return client.post(
        "/webhooks/stripe", data=body, headers=headers, content_type="application/json"
    )


def apply_inbox(app: Flask) -> NewsCounts:
    with app.app_context():
        return apply_received(get_session())


def stored_events(app: Flask) -> list[StripeEvent]:
    with app.app_context():
        session = get_session()
        rows = list(session.scalars(sa.select(StripeEvent).order_by(StripeEvent.id)))
        session.expunge_all()
        return rows


def order_of(app: Flask, ref: str) -> Order:
    with app.app_context():
        session = get_session()
        order = get_order(session, ref)
        order.events  # noqa: B018 - load the history before the session closes
        session.expunge_all()
        return order


def ledger_invoice(app: Flask, invoice_id: int) -> Invoice:
    with app.app_context():
        session = get_session()
        invoice = session.get(Invoice, invoice_id)
        assert invoice is not None
        session.expunge_all()
        return invoice


def billing_events(order: Order, kind: str) -> list[OrderEvent]:
    return [event for event in order.events if event.kind == kind]
