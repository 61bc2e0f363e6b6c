"""What Stripe did comes back as facts: the invoice gets its number and links, billing moves."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from connectors.base import Event
from connectors.facts import InvoiceIssued, InvoiceReversed
from hub.db import get_session, utcnow, write_transaction
from hub.ledger.actor import Actor
from hub.ledger.customers import set_billing_mode
from hub.ledger.delivery_results import record_facts
from hub.ledger.fulfilment import cancel_order
from hub.ledger.periodic_invoicing import run_periodic_invoicing
from hub.models import BillingMode, OrderEvent, OutboxRow
from tests import billing
from tests.billing import customer, done_order, order_of, rows
from tests.conftest import Users

PAID_AT = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def _issued(invoice_id: int, status: str, **extra: object) -> InvoiceIssued:
    return InvoiceIssued(
        invoice_id=invoice_id,
        stripe_invoice_id=f"in_{invoice_id}",
        status=status,
        total_cents=1000,
        tax_cents=167,
        number=f"F-{invoice_id:04d}",
        hosted_url=f"https://invoice.stripe.com/i/{invoice_id}",
        pdf_url=f"https://pay.stripe.com/invoice/{invoice_id}/pdf",
        **extra,  # type: ignore[arg-type]
    )


def _record(session: Session, *facts: object) -> None:
    """Record facts as the dispatcher does with a delivery (its own transaction)."""
    event = Event(
        id=0,
        topic="invoice.requested",
        aggregate_type="invoice",
        aggregate_ref="hub-inv-0",
        payload={},
        attempt=1,
        created_at=utcnow(),
    )
    with write_transaction(session):
        record_facts(session, event, facts)  # type: ignore[arg-type]


def _written(session: Session) -> tuple[int, int]:
    events = session.scalar(sa.select(sa.func.count()).select_from(OrderEvent)) or 0
    outbox = session.scalar(sa.select(sa.func.count()).select_from(OutboxRow)) or 0
    return events, outbox


def test_an_issued_invoice_moves_its_order_to_invoiced_with_the_number_for_the_sheet(
    app: Flask, users: Users
) -> None:
    ref = done_order(app, users, customer(app))
    with app.app_context():
        session = get_session()
        invoice_id = order_of(session, ref).invoice_id
        assert invoice_id is not None
        _record(session, _issued(invoice_id, "open"))
        order = order_of(session, ref)
        assert order.billing_status == "invoiced"
        assert order.invoice is not None
        assert (order.invoice.status, order.invoice.number) == ("open", f"F-{invoice_id:04d}")
        assert order.invoice.stripe_invoice_id == f"in_{invoice_id}"
        assert order.invoice.hosted_url == f"https://invoice.stripe.com/i/{invoice_id}"
        assert billing.kinds(session, ref)[-1] == "billing_invoiced"
        (changed,) = rows(session, "order.billing_changed")
        sheet = changed.payload["order"]
        assert sheet["billing_status"] == "invoiced"
        assert sheet["invoice_number"] == f"F-{invoice_id:04d}"
        assert sheet["invoice_url"] == f"https://invoice.stripe.com/i/{invoice_id}"
        # A replay (the outcome was lost with its worker) changes nothing.
        before = _written(session)
        _record(session, _issued(invoice_id, "open"))
        assert _written(session) == before


def test_a_paid_invoice_leaves_invoiced_then_paid_in_the_history_and_stale_news_is_ignored(
    app: Flask, users: Users
) -> None:
    ref = done_order(app, users, customer(app))
    with app.app_context():
        session = get_session()
        invoice_id = order_of(session, ref).invoice_id
        assert invoice_id is not None
        _record(session, _issued(invoice_id, "paid", paid_at=PAID_AT))
        order = order_of(session, ref)
        assert order.billing_status == "paid"
        assert order.invoice is not None and order.invoice.paid_at == PAID_AT
        assert billing.kinds(session, ref)[-2:] == ["billing_invoiced", "billing_paid"]
        before = _written(session)
        _record(session, _issued(invoice_id, "open"))
        assert _written(session) == before
        order = order_of(session, ref)
        assert order.billing_status == "paid"
        assert order.invoice is not None and order.invoice.status == "paid"


def test_a_periodic_invoice_moves_all_its_orders(app: Flask, users: Users) -> None:
    jeanne = customer(app)
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            set_billing_mode(session, Actor.of(users.admin), jeanne, BillingMode.MONTHLY)
    refs = [done_order(app, users, jeanne) for _ in range(2)]
    with app.app_context():
        session = get_session()
        run_periodic_invoicing(session, "monthly", f"{utcnow():%Y-%m}")
        invoice_id = order_of(session, refs[0]).invoice_id
        assert invoice_id is not None and order_of(session, refs[1]).invoice_id == invoice_id
        _record(session, _issued(invoice_id, "open"))
        assert [order_of(session, ref).billing_status for ref in refs] == ["invoiced"] * 2
        changed = [r.aggregate_ref for r in rows(session, "order.billing_changed")]
        assert changed.count(refs[0]) == 2 and changed.count(refs[1]) == 2  # pending, invoiced


def test_reversals_end_billing_void_or_credited_once(app: Flask, users: Users) -> None:
    voided, credited = (done_order(app, users, customer(app)) for _ in range(2))
    with app.app_context():
        session = get_session()
        for ref, status in ((voided, "open"), (credited, "paid")):
            invoice_id = order_of(session, ref).invoice_id
            assert invoice_id is not None
            _record(session, _issued(invoice_id, status))
            cancel_order(session, Actor.of(users.concierge), ref, "Annulée.")
        void_id = order_of(session, voided).invoice_id
        credit_id = order_of(session, credited).invoice_id
        assert void_id is not None and credit_id is not None
        _record(session, InvoiceReversed(void_id, voided, "void"))
        _record(session, InvoiceReversed(credit_id, credited, "credited", "cn_1", 1000))
        assert order_of(session, voided).billing_status == "void"
        invoice = order_of(session, voided).invoice
        assert invoice is not None and invoice.status == "void"
        assert order_of(session, credited).billing_status == "credited"
        assert billing.kinds(session, voided)[-1] == "billing_void"
        assert billing.kinds(session, credited)[-1] == "billing_credited"
        before = _written(session)
        _record(session, InvoiceReversed(void_id, voided, "void"))
        _record(session, InvoiceReversed(credit_id, credited, "credited", "cn_1", 1000))
        assert _written(session) == before
