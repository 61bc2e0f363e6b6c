"""Per-order invoices: decided when the order is done, held back a while, withdrawn by a reopen."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask

from connectors.payloads import InvoiceRequested, read_payload
from hub.db import get_db, get_session, write_transaction
from hub.errors import TransitionError
from hub.ledger.actor import Actor
from hub.ledger.customers import CustomerInput, set_billing_mode, update_customer
from hub.ledger.fulfilment import complete_order, reopen_order
from hub.ledger.invoice_lines import TIMES
from hub.models import BillingMode
from tests import billing, conftest
from tests.billing import CLEANING, customer, done_order, order_of, rows
from tests.conftest import Users


def test_a_done_order_gets_its_own_invoice_waiting_the_configured_delay(
    app: Flask, users: Users
) -> None:
    ref = done_order(app, users, customer(app), lines=CLEANING)
    with app.app_context():
        session = get_session()
        order = order_of(session, ref)
        (row,) = rows(session, "invoice.requested")
        assert order.billing_status == "unbilled"  # nothing is billed while the row waits
        assert order.invoice is not None and order.invoice.status == "requested"
        assert order.invoice.mode == "per_order"
        assert row.connector == "stripe"
        assert row.aggregate_type == "invoice" and row.aggregate_ref == order.invoice.key
        assert order.completed_at is not None
        wait = row.next_attempt_at - order.completed_at
        assert timedelta(minutes=14, seconds=59) < wait < timedelta(minutes=15, seconds=5)
        payload = read_payload(row.topic, row.payload, InvoiceRequested)
        assert payload.invoice_key == order.invoice.key
        assert payload.mode == "per_order" and payload.period is None
        assert payload.collection_method == "send_invoice" and payload.days_until_due == 14
        assert payload.customer.email == "j@example.com"
        assert [(o.ref, o.version) for o in payload.orders] == [(ref, order.version)]
        (line,) = payload.lines
        assert line.description == f"Ménage à domicile 1,5\u00a0h {TIMES} 28,00\u00a0€"
        assert (line.amount_cents, line.vat_bp, line.vat_cents) == (4200, 1000, 382)
        assert line.order_ref == ref
        assert (payload.total_cents, payload.vat_cents) == (4200, 382)
        assert (order.invoice.total_cents, order.invoice.vat_cents) == (4200, 382)


def test_the_delay_and_collection_come_from_the_stripe_settings(
    database: conftest.TestDatabase, tmp_path: Path, users: Users
) -> None:
    app = conftest.make_app(
        database,
        tmp_path,
        stripe={
            "per_order_delay_minutes": 0,
            "collection_method": "charge_automatically",
            "days_until_due": 30,
        },
    )
    try:
        ref = done_order(app, users, customer(app))
        with app.app_context():
            session = get_session()
            (row,) = rows(session, "invoice.requested")
            order = order_of(session, ref)
            assert order.completed_at is not None
            assert row.next_attempt_at - order.completed_at < timedelta(seconds=5)
            payload = read_payload(row.topic, row.payload, InvoiceRequested)
            assert (payload.collection_method, payload.days_until_due) == (
                "charge_automatically",
                30,
            )
    finally:
        get_db(app).dispose()


def test_a_customer_billed_monthly_gets_no_invoice_when_an_order_is_done(
    app: Flask, users: Users
) -> None:
    from hub.db import write_transaction
    from hub.ledger.customers import set_billing_mode
    from hub.models import BillingMode

    customer_id = customer(app)
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            set_billing_mode(session, Actor.of(users.admin), customer_id, BillingMode.MONTHLY)
    ref = done_order(app, users, customer_id)
    with app.app_context():
        session = get_session()
        assert rows(session, "invoice.requested") == []
        assert order_of(session, ref).invoice is None


def test_a_customer_without_e_mail_is_not_invoiced(app: Flask, users: Users) -> None:
    ref = done_order(app, users, customer(app, email=None))
    with app.app_context():
        session = get_session()
        assert rows(session, "invoice.requested") == []
        assert order_of(session, ref).billing_status == "unbilled"


def test_an_e_mail_added_later_invoices_the_orders_done_without_one(
    app: Flask, users: Users
) -> None:
    customer_id = customer(app, email=None)
    first, second = done_order(app, users, customer_id), done_order(app, users, customer_id)
    data = CustomerInput.parse({"name": "Jeanne Martin", "email": "jeanne@example.com"})
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            update_customer(session, customer_id, data, expected_version=None)
        requested = rows(session, "invoice.requested")
        assert len(requested) == 2
        assert [
            read_payload(r.topic, r.payload, InvoiceRequested).orders[0].ref for r in requested
        ] == [first, second]
        assert {order_of(session, ref).invoice_id for ref in (first, second)} != {None}
        # Saving the customer again decides nothing more.
        with write_transaction(session):
            update_customer(session, customer_id, data, expected_version=None)
        assert len(rows(session, "invoice.requested")) == 2


def test_the_hourly_sweep_invoices_done_orders_no_edit_brought_to_billing(
    app: Flask, users: Users
) -> None:
    import sqlalchemy as sa

    from hub.ledger.invoicing import invoice_all_left_waiting
    from hub.models import Customer

    with_mail, without = customer(app), customer(app, email=None)
    ref = done_order(app, users, without)
    kept_out = done_order(app, users, customer(app, email=None))
    monthly = customer(app)
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            set_billing_mode(session, Actor.of(users.admin), monthly, BillingMode.MONTHLY)
    for_the_month = done_order(app, users, monthly)
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            # As an import or an older release leaves it: an e-mail, and no invoice decided.
            session.execute(
                sa.update(Customer).where(Customer.id == without).values(email="late@example.com")
            )
        assert invoice_all_left_waiting(session) == 1
        (row,) = rows(session, "invoice.requested")
        assert read_payload(row.topic, row.payload, InvoiceRequested).orders[0].ref == ref
        assert order_of(session, kept_out).invoice_id is None
        assert order_of(session, for_the_month).invoice_id is None
        assert invoice_all_left_waiting(session) == 0
    assert with_mail


def test_switching_a_customer_to_per_order_invoices_the_done_orders_waiting_for_a_period(
    app: Flask, users: Users
) -> None:
    customer_id = customer(app)
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            set_billing_mode(session, Actor.of(users.admin), customer_id, BillingMode.MONTHLY)
    ref = done_order(app, users, customer_id)
    with app.app_context():
        session = get_session()
        assert rows(session, "invoice.requested") == []
        with write_transaction(session):
            set_billing_mode(session, Actor.of(users.admin), customer_id, BillingMode.PER_ORDER)
        (row,) = rows(session, "invoice.requested")
        assert read_payload(row.topic, row.payload, InvoiceRequested).orders[0].ref == ref


def test_a_reopen_in_the_window_withdraws_the_invoice_and_nothing_reaches_stripe(
    app: Flask, users: Users
) -> None:
    ref = done_order(app, users, customer(app))
    with app.app_context():
        session = get_session()
        reopen_order(session, Actor.of(users.concierge), ref, "Marquée faite par erreur.")
        order = order_of(session, ref)
        assert order.status == "scheduled" and order.invoice is None
        assert rows(session, "invoice.requested") == []
        assert billing.invoices(session) == []
        claim, handed = billing.take(session)
        assert handed == [] or all(e.topic != "invoice.requested" for e in claim.events)
        # Done again later: a new invoice, waiting afresh.
        complete_order(session, Actor.of(users.concierge), ref)
        (row,) = rows(session, "invoice.requested")
        assert order_of(session, ref).invoice is not None
        assert row.aggregate_ref == order_of(session, ref).invoice.key  # type: ignore[union-attr]


def test_a_reopen_after_the_hand_over_is_refused_in_french_terms(app: Flask, users: Users) -> None:
    ref = done_order(app, users, customer(app))
    with app.app_context():
        session = get_session()
        claim, handed = billing.take(session)
        assert billing.invoice_event(claim).id in handed
        with pytest.raises(TransitionError) as refused:
            reopen_order(session, Actor.of(users.concierge), ref, "Trop tard ?")
        assert "being issued in Stripe" in str(refused.value)
        assert "Cancel the order instead" in str(refused.value)
        order = order_of(session, ref)
        assert order.status == "done" and order.invoice is not None
        assert len(rows(session, "invoice.requested")) == 1


def test_a_reopen_after_delivery_is_refused(app: Flask, users: Users) -> None:
    from connectors.facts import InvoiceIssued

    ref = done_order(app, users, customer(app))
    with app.app_context():
        session = get_session()
        claim, _handed = billing.take(session)
        event = billing.invoice_event(claim)
        invoice_id = order_of(session, ref).invoice_id
        assert invoice_id is not None
        billing.deliver(
            session,
            claim,
            event,
            InvoiceIssued(invoice_id, "in_1", "open", 2000, 333, number="F-0001"),
        )
        with pytest.raises(TransitionError):
            reopen_order(session, Actor.of(users.concierge), ref, "Trop tard.")
        assert order_of(session, ref).billing_status == "invoiced"
