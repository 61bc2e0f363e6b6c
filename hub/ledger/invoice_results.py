"""Record what Stripe did with the invoices the ledger decided: ids, numbers, links, states.

Handlers of the facts a billing delivery brings back (hub.ledger.delivery_results). Each is
idempotent: a replayed fact finds the invoice already as it says and the orders' billing
already moved, so it writes nothing (the billing machine refuses a move to the same state,
and refuses stale ones).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from connectors.base import Event
from connectors.facts import InvoiceIssued, InvoiceReversed
from hub.ledger.actor import Actor
from hub.ledger.billing import move_billing
from hub.ledger.order_access import get_order
from hub.ledger.stripe_invoices import copy_from_stripe
from hub.models import BillingStatus, Invoice, InvoiceStatus, Order
from hub.sql import utcnow

STRIPE = Actor.system("stripe")

#: The billing moves that bring an order to what its invoice's Stripe status says.
_BILLING_PATH: dict[InvoiceStatus, tuple[BillingStatus, ...]] = {
    InvoiceStatus.DRAFT: (BillingStatus.PENDING,),
    InvoiceStatus.OPEN: (BillingStatus.INVOICED,),
    # A charged-at-once invoice is paid as it is finalized: invoiced, then paid, in the history.
    InvoiceStatus.PAID: (BillingStatus.INVOICED, BillingStatus.PAID),
    InvoiceStatus.VOID: (BillingStatus.VOID,),
    InvoiceStatus.UNCOLLECTIBLE: (BillingStatus.INVOICED, BillingStatus.UNCOLLECTIBLE),
}


def _invoice(session: Session, invoice_id: int) -> Invoice:
    invoice = session.get(Invoice, invoice_id)
    if invoice is None:
        raise LookupError(
            f"The ledger has no invoice {invoice_id}; Stripe issued it anyway. Find it in "
            f"Stripe by its metadata hub_invoice_key and void it, then replay this delivery."
        )
    return invoice


def _orders_of(session: Session, invoice: Invoice) -> list[Order]:
    return list(
        session.scalars(sa.select(Order).where(Order.invoice_id == invoice.id).order_by(Order.id))
    )


def link_details(invoice: Invoice) -> dict[str, Any]:
    """Return what an order's history and the sheet say of its invoice."""
    details: dict[str, Any] = {"invoice": invoice.number or invoice.key}
    if invoice.hosted_url:
        details["hosted_url"] = invoice.hosted_url
    if invoice.pdf_url:
        details["pdf_url"] = invoice.pdf_url
    return details


def record_invoice_issued(session: Session, event: Event, fact: InvoiceIssued) -> None:
    """Store a Stripe invoice's id, number and links, and move its orders' billing along."""
    invoice = _invoice(session, fact.invoice_id)
    status = InvoiceStatus(fact.status)
    if invoice.stripe_invoice_id not in (None, fact.stripe_invoice_id):
        raise ValueError(
            f"Invoice {invoice.key} is {invoice.stripe_invoice_id} in the ledger, but the "
            f"connector reports {fact.stripe_invoice_id}: void the extra one in Stripe, then "
            "replay this delivery."
        )
    copy_from_stripe(
        invoice,
        stripe_invoice_id=fact.stripe_invoice_id,
        status=status,
        number=fact.number,
        hosted_url=fact.hosted_url,
        pdf_url=fact.pdf_url,
        paid_at=fact.paid_at,
    )
    path = _BILLING_PATH.get(invoice.status, ())
    details = {**link_details(invoice), "stripe_invoice_id": fact.stripe_invoice_id}
    for order in _orders_of(session, invoice):
        for target in path:
            move_billing(session, order, STRIPE, target, details)


def record_invoice_reversed(session: Session, event: Event, fact: InvoiceReversed) -> None:
    """Move a cancelled order's billing to void or credited, as Stripe did."""
    invoice = _invoice(session, fact.invoice_id)
    order = get_order(session, fact.order_ref)
    if order.invoice_id != invoice.id:
        raise ValueError(
            f"Order {fact.order_ref} is not on invoice {invoice.key}; the reversal reported by "
            "the connector does not match the ledger. Check both in Stripe, then replay."
        )
    target = BillingStatus(fact.outcome)
    if target not in (BillingStatus.VOID, BillingStatus.CREDITED):
        raise ValueError(f"A reversal ends void or credited, not {fact.outcome!r}.")
    if target == BillingStatus.VOID and invoice.status != InvoiceStatus.VOID:
        invoice.status = InvoiceStatus.VOID
        invoice.updated_at = utcnow()
    details: dict[str, Any] = {"invoice": invoice.number or invoice.key}
    if fact.credit_note_id:
        details["credit_note_id"] = fact.credit_note_id
    if fact.amount_cents:
        details["amount_cents"] = fact.amount_cents
    move_billing(session, order, STRIPE, target, details)
