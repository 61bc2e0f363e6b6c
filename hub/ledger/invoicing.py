"""Decide per-order invoices and the reversal of billed orders; the connector executes them.

A per-order invoice is decided when its order is marked done and waits
``[stripe] per_order_delay_minutes`` in the outbox: a mission reopened (or cancelled) in that
window withdraws the waiting row in the same transaction, so nothing reaches Stripe. Once the
row was handed to the connector, the invoice exists or is being made in Stripe, and only a
cancellation (void or credit note) undoes it.

The ``invoice.*`` rows of an invoice share its key as aggregate, so a cancellation is
delivered after the invoice it reverses (jobs/claims.py delivers an aggregate in order).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from connectors.payloads import (
    CancelAction,
    InvoiceCancelled,
    InvoiceLine,
    InvoiceRequested,
    OrderVersion,
)
from hub.errors import N_, InvalidInput, TransitionError
from hub.ledger import invoice_lines
from hub.ledger.billing import check_billable
from hub.ledger.billing_settings import billing_settings, effective_mode
from hub.ledger.outbox import enqueue
from hub.ledger.snapshots import customer_info
from hub.models import (
    BillingMode,
    BillingStatus,
    Customer,
    Invoice,
    InvoiceStatus,
    Order,
    OrderStatus,
    OutboxRow,
    OutboxStatus,
)
from hub.sql import business_zone, use_case, utcnow

log = logging.getLogger("hub.ledger.invoicing")

REQUESTED = "invoice.requested"
CANCELLED = "invoice.cancelled"
#: Billing states in which an invoice still awaits payment: a per-order one is voided.
_UNPAID = frozenset(
    {
        BillingStatus.UNBILLED,
        BillingStatus.PENDING,
        BillingStatus.INVOICED,
        BillingStatus.PAYMENT_FAILED,
        BillingStatus.UNCOLLECTIBLE,
    }
)


def new_invoice(
    session: Session, customer: Customer, mode: BillingMode, period: str | None
) -> Invoice:
    """Add an invoice of a customer (totals filled by ``request_invoice``); the caller flushes."""
    invoice = Invoice(
        customer_id=customer.id,
        mode=mode,
        period=period,
        collection_method=billing_settings(session).collection_method,
        status=InvoiceStatus.REQUESTED,
        currency="eur",
        total_cents=0,
        vat_cents=0,
    )
    session.add(invoice)
    return invoice


def request_invoice(
    session: Session,
    invoice: Invoice,
    customer: Customer,
    orders: Sequence[Order],
    *,
    not_before: datetime | None = None,
) -> InvoiceRequested:
    """Freeze an invoice's lines and totals and write its invoice.requested row.

    Call it once the orders point at the invoice and are flushed, so their versions are final.
    """
    periodic = invoice.mode != BillingMode.PER_ORDER
    zone = business_zone(session)
    lines: list[InvoiceLine] = []
    for order in orders:
        lines.extend(invoice_lines.order_lines(order, zone=zone, periodic=periodic))
    invoice.total_cents, invoice.vat_cents = invoice_lines.totals(lines)
    session.flush()
    settings = billing_settings(session)
    payload = InvoiceRequested(
        invoice_id=invoice.id,
        invoice_key=invoice.key,
        customer=customer_info(customer),
        mode=invoice.mode.value,
        collection_method=invoice.collection_method,
        days_until_due=settings.days_until_due,
        currency=invoice.currency,
        orders=tuple(OrderVersion(ref=o.ref or "", version=o.version) for o in orders),
        lines=tuple(lines),
        total_cents=invoice.total_cents,
        vat_cents=invoice.vat_cents,
        period=invoice.period,
    )
    enqueue(session, REQUESTED, "invoice", invoice.key, payload, not_before=not_before)
    return payload


# -- per order -------------------------------------------------------------------------------


def decide_per_order_invoice(session: Session, order: Order) -> Invoice | None:
    """Give an order just marked done its own invoice, when its customer is billed per order.

    Call before the change is recorded (the order's one flush then carries ``invoice_id``), and
    ``request_per_order_invoice`` after. A customer with no e-mail is not invoiced: the order
    stays unbilled and the order page says why (hub.ledger.billing.check_billable).
    """
    if effective_mode(session, order.customer) != BillingMode.PER_ORDER:
        return None
    try:
        check_billable(order)
    except InvalidInput:
        log.warning(
            "order not invoiced: customer has no e-mail", extra={"fields": {"ref": order.ref}}
        )
        return None
    invoice = new_invoice(session, order.customer, BillingMode.PER_ORDER, None)
    order.invoice = invoice
    return invoice


def invoice_orders_left_waiting(session: Session, customer: Customer) -> int:
    """Invoice, one each, a per-order customer's done orders that no invoice holds yet.

    They were done while the customer had no e-mail, or was billed by period: once the
    customer is billed per order and has an e-mail, each is invoiced as if just done (after
    the same delay). Returns how many were.
    """
    if effective_mode(session, customer) != BillingMode.PER_ORDER or not customer.email:
        return 0
    waiting = session.scalars(
        sa.select(Order)
        .where(
            Order.customer_id == customer.id,
            Order.status == OrderStatus.DONE,
            Order.billing_status == BillingStatus.UNBILLED,
            Order.invoice_id.is_(None),
        )
        .order_by(Order.id)
        .with_for_update()
    ).all()
    for order in waiting:
        invoice = new_invoice(session, customer, BillingMode.PER_ORDER, None)
        order.invoice = invoice
        session.flush()
        request_per_order_invoice(session, order, invoice)
    return len(waiting)


def _billed_per_order(session: Session) -> sa.ColumnElement[bool]:
    """The customers billed per order, by their own mode or by the hub's (SQL for a WHERE)."""
    own = Customer.billing_mode == BillingMode.PER_ORDER
    if billing_settings(session).mode == BillingMode.PER_ORDER:
        return sa.or_(own, Customer.billing_mode.is_(None))
    return own


@use_case
def invoice_all_left_waiting(session: Session) -> int:
    """Sweep every customer for done orders left without an invoice (see above); return how many.

    Catches what no edit triggers: orders done before billing was installed, or while Stripe
    had nothing to send an invoice to. One transaction for the sweep.
    """
    customer_ids = session.scalars(
        sa.select(Order.customer_id)
        .join(Customer, Customer.id == Order.customer_id)
        .where(
            Order.status == OrderStatus.DONE,
            Order.billing_status == BillingStatus.UNBILLED,
            Order.invoice_id.is_(None),
            Customer.email.is_not(None),
            _billed_per_order(session),
        )
        .distinct()
    ).all()
    count = 0
    for customer_id in sorted(customer_ids):
        customer = session.get(Customer, customer_id)
        assert customer is not None
        count += invoice_orders_left_waiting(session, customer)
    return count


def request_per_order_invoice(session: Session, order: Order, invoice: Invoice) -> InvoiceRequested:
    """Write the waiting invoice.requested row of a per-order invoice, due after the delay."""
    delay = billing_settings(session).per_order_delay
    return request_invoice(session, invoice, order.customer, [order], not_before=utcnow() + delay)


def withdraw_waiting_invoice(session: Session, order: Order) -> bool:
    """Delete an order's waiting per-order invoice if no worker ever took its row; tell if so.

    One conditional DELETE: a worker's claim (status in_flight) commits before any hand-over,
    and PostgreSQL re-checks the condition on a row a concurrent claim just changed, so a row
    is either withdrawn here or delivered there, never both.
    """
    invoice = order.invoice
    if invoice is None or invoice.mode != BillingMode.PER_ORDER:
        return False
    if invoice.status != InvoiceStatus.REQUESTED or invoice.stripe_invoice_id is not None:
        return False  # Stripe already told us of it: only a void or a credit note undoes it
    rows = sa.select(OutboxRow.id).where(
        OutboxRow.topic == REQUESTED,
        OutboxRow.aggregate_type == "invoice",
        OutboxRow.aggregate_ref == invoice.key,
    )
    total = len(session.scalars(rows).all())
    result = session.execute(
        sa.delete(OutboxRow).where(
            OutboxRow.id.in_(rows.scalar_subquery()),
            OutboxRow.status == OutboxStatus.PENDING,
            OutboxRow.attempts == 0,
            OutboxRow.handed_over.is_(False),
        ),
        execution_options={"synchronize_session": False},
    )
    deleted = cast(sa.CursorResult[Any], result).rowcount
    if deleted != total:
        # Partly taken (one connector of several): the invoice goes on; undo nothing here.
        if deleted:
            raise RuntimeError(f"invoice {invoice.key} was withdrawn from some connectors only")
        return False
    order.invoice = None
    session.delete(invoice)
    return True


def withdraw_for_reopen(session: Session, order: Order) -> None:
    """Withdraw the waiting invoice of an order being reopened, or refuse the reopen."""
    if order.invoice is None:
        return
    if not withdraw_waiting_invoice(session, order):
        raise TransitionError(
            N_(
                "Billing of order %(ref)s has started: its invoice is being issued in Stripe, "
                "so the mission can no longer be reopened. Cancel the order instead (the "
                "invoice is then voided)."
            ),
            ref=order.ref or "",
            current=order.status,
            target="scheduled",
        )


# -- cancellation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Reversal:
    """What cancelling a billed order asks of Stripe: void its invoice, or a credit note."""

    invoice: Invoice
    action: CancelAction


def decide_reversal(session: Session, order: Order) -> Reversal | None:
    """Decide how a cancelled order's billing is undone; None when nothing reached Stripe.

    Call before the cancellation is recorded (a withdrawal changes the order), and
    ``request_reversal`` after it. A per-order invoice still waiting is withdrawn: the order is
    never billed. An unpaid per-order invoice is voided. A paid invoice, or an order inside a
    periodic invoice, gets a credit note for that order's lines.
    """
    invoice = order.invoice
    if invoice is None or order.billing_status in (BillingStatus.VOID, BillingStatus.CREDITED):
        return None
    if withdraw_waiting_invoice(session, order):
        return None
    paid = invoice.status == InvoiceStatus.PAID or order.billing_status == BillingStatus.PAID
    if invoice.mode == BillingMode.PER_ORDER and not paid and order.billing_status in _UNPAID:
        return Reversal(invoice, "void")
    return Reversal(invoice, "credit_note")


def request_reversal(session: Session, order: Order, reversal: Reversal) -> InvoiceCancelled:
    """Write the invoice.cancelled row, behind its invoice's own rows (same aggregate)."""
    assert order.ref is not None
    lines = invoice_lines.order_lines(
        order, zone=business_zone(session), periodic=reversal.invoice.mode != BillingMode.PER_ORDER
    )
    amount, _vat = invoice_lines.totals(lines)
    payload = InvoiceCancelled(
        invoice_id=reversal.invoice.id,
        invoice_key=reversal.invoice.key,
        order=OrderVersion(ref=order.ref, version=order.version),
        action=reversal.action,
        lines=lines,
        amount_cents=amount,
        refund_to=billing_settings(session).refund_target,
        stripe_invoice_id=reversal.invoice.stripe_invoice_id,
    )
    enqueue(session, CANCELLED, "invoice", reversal.invoice.key, payload)
    return payload


__all__ = [
    "Reversal",
    "decide_per_order_invoice",
    "decide_reversal",
    "new_invoice",
    "request_invoice",
    "request_per_order_invoice",
    "request_reversal",
    "withdraw_for_reopen",
]
