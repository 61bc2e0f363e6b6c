"""What Stripe says of an invoice, applied to the ledger: the invoice row and its orders' billing.

Shared by the webhook applier and reconciliation, so that a missed ``invoice.paid`` found an
hour later moves the order exactly as the webhook would have. Stale news never moves
anything backwards: the invoice's status only moves forward here, and the orders' billing
goes through ``apply_billing_news``, whose machine refuses backward moves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from connectors.stripe.reading import StripeInvoice
from hub.ledger import states
from hub.ledger.actor import Actor
from hub.ledger.billing import apply_billing_news
from hub.ledger.validation import MAX_ID, web_link
from hub.models import BillingStatus, Invoice, InvoiceStatus, Order

_INVOICE_STATUSES = {status.value: status for status in InvoiceStatus}

#: The billing state a Stripe invoice status means for the orders it bills.
BILLING_OF_STATUS: dict[str, BillingStatus] = {
    "open": BillingStatus.INVOICED,
    "paid": BillingStatus.PAID,
    "void": BillingStatus.VOID,
    "uncollectible": BillingStatus.UNCOLLECTIBLE,
}

#: Where the news came from, kept in the history when it was not the webhook.
RECONCILIATION = "reconciliation"


class ForeignInvoice(LookupError):
    """A Stripe invoice the ledger does not know: no hub key, or its key names another invoice."""


def invoice_id_of_key(key: str | None) -> int | None:
    """Return the hub invoice id a key such as hub-inv-42 names, or None.

    None too past ``MAX_ID``: no row has such an id, and PostgreSQL refuses to compare one.
    """
    if not key or not key.startswith("hub-inv-"):
        return None
    digits = key.removeprefix("hub-inv-")
    if not (digits.isascii() and digits.isdecimal() and len(digits) < 19):
        return None
    return int(digits) if 0 < int(digits) <= MAX_ID else None


def find_invoice(session: Session, seen: StripeInvoice) -> Invoice:
    """Return the ledger invoice a Stripe invoice is, by Stripe id or by its hub key.

    Raises ForeignInvoice when there is none, or when the key names a ledger invoice already
    linked to another Stripe invoice (the same invoice made twice: reconciliation reports it).
    """
    found = session.scalar(
        sa.select(Invoice).where(Invoice.stripe_invoice_id == seen.id).with_for_update()
    )
    if found is not None:
        return found
    hub_id = invoice_id_of_key(seen.invoice_key)
    found = session.get(Invoice, hub_id, with_for_update=True) if hub_id is not None else None
    if found is None:
        raise ForeignInvoice(f"Stripe invoice {seen.id} names no invoice of the hub.")
    if found.stripe_invoice_id not in (None, seen.id):
        raise ForeignInvoice(
            f"Stripe invoice {seen.id} carries {seen.invoice_key}, which is already Stripe "
            f"invoice {found.stripe_invoice_id}: the invoice exists twice in Stripe."
        )
    return found


@dataclass(frozen=True)
class InvoiceUpdate:
    """What applying Stripe's news changed: the invoice's status, and the orders moved."""

    invoice_changed: bool
    orders_moved: tuple[str, ...]


def record_invoice(session: Session, invoice: Invoice, seen: StripeInvoice) -> bool:
    """Copy Stripe's id, number, links, status (forward only) and payment time onto the invoice."""
    changed = copy_from_stripe(
        invoice,
        stripe_invoice_id=seen.id,
        status=_INVOICE_STATUSES.get(seen.status),
        number=seen.number,
        hosted_url=seen.hosted_url,
        pdf_url=seen.pdf_url,
        paid_at=seen.paid_at,
    )
    if changed:
        session.flush()
    return changed


def copy_from_stripe(
    invoice: Invoice,
    *,
    stripe_invoice_id: str,
    status: InvoiceStatus | None,
    number: str | None,
    hosted_url: str | None,
    pdf_url: str | None,
    paid_at: datetime | None,
) -> bool:
    """Record what Stripe says of an invoice, from a webhook, reconciliation or a delivery.

    The status only moves forward; news never erases what the ledger knows (a later snapshot
    may omit a link), and a link is kept only if it is a web address. Tell if anything changed.
    """
    changed = False
    if status is not None and states.invoice_allows(invoice.status, status):
        invoice.status = status
        changed = True
    updates: dict[str, Any] = {
        "stripe_invoice_id": stripe_invoice_id,
        "number": number,
        "hosted_url": web_link(hosted_url),
        "pdf_url": web_link(pdf_url),
        "paid_at": paid_at if invoice.status == InvoiceStatus.PAID else None,
    }
    for name, value in updates.items():
        if value is not None and getattr(invoice, name) != value:
            setattr(invoice, name, value)
            changed = True
    return changed


def payment_details(seen: StripeInvoice, amount_cents: int, source: str | None) -> dict[str, Any]:
    """Return the facts a payment line of an order's history shows."""
    payment: dict[str, Any] = {
        "method": seen.paid_by or "card",
        "amount_cents": amount_cents,
        "invoice_number": seen.number,
    }
    if source:
        payment["source"] = source
    return {"payment": payment}


def move_orders(
    session: Session,
    actor: Actor,
    invoice: Invoice,
    seen: StripeInvoice,
    target: BillingStatus,
    *,
    source: str | None = None,
) -> tuple[str, ...]:
    """Move the billing of the invoice's orders to ``target`` where the machine allows it."""
    orders = list(
        session.scalars(sa.select(Order).where(Order.invoice_id == invoice.id).order_by(Order.id))
    )
    moved: list[str] = []
    for order in orders:
        assert order.ref is not None
        if target == BillingStatus.PAID:
            # One order: what Stripe collected; several: the order's own share.
            amount = seen.amount_paid_cents if len(orders) == 1 else order.total_cents
            details = payment_details(seen, amount, source)
        else:
            details = {"invoice": seen.number} if seen.number else {}
            if source:
                details["source"] = source
        if apply_billing_news(session, actor, order.ref, target, details):
            moved.append(order.ref)
    return tuple(moved)


def apply_invoice_news(
    session: Session,
    actor: Actor,
    seen: StripeInvoice,
    target: BillingStatus | None,
    *,
    source: str | None = None,
) -> InvoiceUpdate:
    """Apply what Stripe says of an invoice: record it, then move its orders' billing."""
    invoice = find_invoice(session, seen)
    changed = record_invoice(session, invoice, seen)
    moved = move_orders(session, actor, invoice, seen, target, source=source) if target else ()
    return InvoiceUpdate(changed, moved)
