"""Cancelling a billed order: a waiting invoice is withdrawn, an open one voided, else credited."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask

from connectors.facts import InvoiceIssued
from connectors.payloads import InvoiceCancelled, read_payload
from hub.db import get_db, get_session
from hub.ledger.actor import Actor
from hub.ledger.fulfilment import cancel_order
from hub.ledger.periodic_invoicing import run_periodic_invoicing
from tests import billing, conftest
from tests.billing import CLEANING, customer, done_order, order_of, rows
from tests.conftest import Users


def _issue(app: Flask, ref: str, status: str) -> None:
    """Let the worker deliver the order's invoice, Stripe answering with this status."""
    with app.app_context():
        session = get_session()
        claim, _handed = billing.take(session)
        event = billing.invoice_event(claim)
        invoice_id = order_of(session, ref).invoice_id
        assert invoice_id is not None
        paid = datetime(2026, 11, 20, tzinfo=UTC) if status == "paid" else None
        billing.deliver(
            session,
            claim,
            event,
            InvoiceIssued(
                invoice_id,
                f"in_{invoice_id}",
                status,
                4200,
                382,
                number=f"F-{invoice_id:04d}",
                hosted_url="https://invoice.stripe.com/i/x",
                pdf_url="https://pay.stripe.com/invoice/x/pdf",
                paid_at=paid,
            ),
        )


def _cancel(app: Flask, users: Users, ref: str) -> InvoiceCancelled | None:
    with app.app_context():
        session = get_session()
        cancel_order(session, Actor.of(users.concierge), ref, "Client parti.")
        found = rows(session, "invoice.cancelled")
        if not found:
            return None
        (row,) = found
        invoice = order_of(session, ref).invoice
        assert invoice is not None and row.aggregate_ref == invoice.key
        return read_payload(row.topic, row.payload, InvoiceCancelled)


def test_a_waiting_invoice_is_withdrawn_and_the_order_never_billed(
    app: Flask, users: Users
) -> None:
    ref = done_order(app, users, customer(app))
    assert _cancel(app, users, ref) is None
    with app.app_context():
        session = get_session()
        order = order_of(session, ref)
        assert (order.status, order.billing_status, order.invoice) == (
            "cancelled",
            "unbilled",
            None,
        )
        assert rows(session, "invoice.requested") == []
        assert billing.invoices(session) == []


def test_an_invoice_handed_over_but_not_yet_recorded_is_voided(app: Flask, users: Users) -> None:
    ref = done_order(app, users, customer(app))
    with app.app_context():
        billing.take(get_session())
    payload = _cancel(app, users, ref)
    assert payload is not None and payload.action == "void"
    assert payload.stripe_invoice_id is None  # the connector finds it by its metadata


def test_an_open_per_order_invoice_is_voided(app: Flask, users: Users) -> None:
    ref = done_order(app, users, customer(app), lines=CLEANING)
    _issue(app, ref, "open")
    payload = _cancel(app, users, ref)
    assert payload is not None
    assert payload.action == "void"
    with app.app_context():
        order = order_of(get_session(), ref)
        assert order.invoice is not None
        assert payload.stripe_invoice_id == order.invoice.stripe_invoice_id
        assert payload.order.ref == ref and payload.order.version == order.version
        assert payload.amount_cents == 4200
        assert [line.order_ref for line in payload.lines] == [ref]


@pytest.fixture
def refunding(app: Flask, database: conftest.TestDatabase, tmp_path: Path) -> Iterator[Flask]:
    """The hub refunding credit notes to the card, billing monthly."""
    flask_app = conftest.make_app(
        database, tmp_path / "refund", stripe={"refund_to": "refund", "billing_mode": "monthly"}
    )
    yield flask_app
    get_db(flask_app).dispose()


def test_a_paid_invoice_gets_a_credit_note_with_the_configured_refund(
    app: Flask, users: Users
) -> None:
    ref = done_order(app, users, customer(app), lines=CLEANING)
    _issue(app, ref, "paid")
    payload = _cancel(app, users, ref)
    assert payload is not None
    assert (payload.action, payload.refund_to, payload.amount_cents) == (
        "credit_note",
        "customer_balance",
        4200,
    )


def test_an_order_inside_a_monthly_invoice_gets_a_credit_note_for_its_lines(
    refunding: Flask, users: Users
) -> None:
    jeanne = customer(refunding)
    kept = done_order(refunding, users, jeanne)
    dropped = done_order(refunding, users, jeanne, lines=CLEANING)
    with refunding.app_context():
        session = get_session()
        now = datetime.now(UTC)
        run_periodic_invoicing(session, "monthly", f"{now:%Y-%m}")
    payload = _cancel(refunding, users, dropped)
    assert payload is not None
    assert (payload.action, payload.refund_to) == ("credit_note", "refund")
    assert [line.order_ref for line in payload.lines] == [dropped]
    assert payload.amount_cents == 4200
    with refunding.app_context():
        assert order_of(get_session(), kept).status == "done"
