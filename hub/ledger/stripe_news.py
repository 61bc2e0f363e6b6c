"""Apply the Stripe events waiting in the inbox to the ledger, oldest (by Stripe's clock) first.

Each event is applied in its own transaction: one that fails is marked failed with its
error and the others go on. Events about objects that are not the hub's (an invoice made by
hand in Stripe's dashboard) and types the hub does not act on are marked ignored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from connectors.stripe.reading import (
    StripeInvoice,
    credit_note_from_stripe,
    customer_from_stripe,
    invoice_from_stripe,
)
from hub.ledger import stripe_inbox
from hub.ledger.actor import Actor
from hub.ledger.billing import apply_billing_news
from hub.ledger.stripe_invoices import ForeignInvoice, apply_invoice_news, find_invoice
from hub.ledger.validation import MAX_ID
from hub.models import BillingStatus, Customer, InboxStatus, Order
from hub.sql import use_case

log = logging.getLogger("hub.ledger.stripe_news")

#: Who the history names for changes Stripe's news made.
STRIPE = Actor.system("stripe")
#: Events applied per batch; the worker's job loops until the inbox is drained.
BATCH = 100

#: What each invoice event means for the billing of the orders on the invoice.
INVOICE_EVENTS: dict[str, BillingStatus] = {
    "invoice.finalized": BillingStatus.INVOICED,
    "invoice.paid": BillingStatus.PAID,
    "invoice.payment_failed": BillingStatus.PAYMENT_FAILED,
    "invoice.voided": BillingStatus.VOID,
    "invoice.marked_uncollectible": BillingStatus.UNCOLLECTIBLE,
}


class NotOurs(LookupError):
    """The event is about something the hub does not hold: acknowledged, nothing to apply."""


@dataclass(frozen=True)
class NewsCounts:
    """What one pass over the inbox did."""

    applied: int = 0
    ignored: int = 0
    failed: int = 0

    def __add__(self, other: NewsCounts) -> NewsCounts:
        return NewsCounts(
            self.applied + other.applied, self.ignored + other.ignored, self.failed + other.failed
        )

    @property
    def total(self) -> int:
        return self.applied + self.ignored + self.failed


def _invoice_event(target: BillingStatus) -> Callable[[Session, Mapping[str, Any]], None]:
    def apply(session: Session, obj: Mapping[str, Any]) -> None:
        try:
            apply_invoice_news(session, STRIPE, invoice_from_stripe(obj), target)
        except ForeignInvoice as exc:
            raise NotOurs(str(exc)) from exc

    return apply


def _credit_note(session: Session, obj: Mapping[str, Any]) -> None:
    """Mark the order a credit note reverses as credited (a paid order only, per the machine)."""
    note = credit_note_from_stripe(obj)
    refs = [note.order_ref] if note.order_ref else []
    if not refs and note.invoice:
        invoice = find_invoice(session, _bare_invoice(note.invoice, note.invoice_key))
        if note.amount_cents < invoice.total_cents:
            raise NotOurs(f"Credit note {note.id} names no order and credits part of an invoice.")
        refs = list(session.scalars(sa.select(Order.ref).where(Order.invoice_id == invoice.id)))
    if not refs:
        raise NotOurs(f"Credit note {note.id} names no order of the hub.")
    details = {"credit_note": note.number or note.id}
    for ref in refs:
        if session.scalar(sa.select(Order.id).where(Order.ref == ref)) is None:
            raise NotOurs(f"Credit note {note.id} names order {ref}, which the hub does not hold.")
        apply_billing_news(session, STRIPE, ref, BillingStatus.CREDITED, details)


def _bare_invoice(stripe_id: str, key: str | None) -> StripeInvoice:
    return invoice_from_stripe({"id": stripe_id, "metadata": {"hub_invoice_key": key or ""}})


def _charge_refunded(session: Session, obj: Mapping[str, Any]) -> None:
    """Credit the order a full refund names; a partial one waits for its credit note's news."""
    metadata = obj.get("metadata") if isinstance(obj, Mapping) else None
    ref = metadata.get("hub_order_ref") if isinstance(metadata, Mapping) else None
    if not ref:
        raise NotOurs("The refund names no order: its credit note carries the news.")
    if obj.get("refunded"):
        apply_billing_news(session, STRIPE, str(ref), BillingStatus.CREDITED, {})


def _customer_updated(session: Session, obj: Mapping[str, Any]) -> None:
    """Link a hub customer Stripe names, if the ledger has not recorded the link yet."""
    seen = customer_from_stripe(obj)
    if seen.hub_customer_id is None or not 0 < seen.hub_customer_id <= MAX_ID:
        # Past MAX_ID no row has the id, and PostgreSQL refuses to compare one.
        raise NotOurs(f"Stripe customer {seen.id} names no customer of the hub.")
    customer = session.get(Customer, seen.hub_customer_id)
    if customer is None:
        raise NotOurs(f"Stripe customer {seen.id} names customer {seen.hub_customer_id}, unknown.")
    taken = session.scalar(sa.select(Customer.id).where(Customer.stripe_customer_id == seen.id))
    if customer.stripe_customer_id is None and taken is None:
        # The hub's details stay the source of truth; only the link is learnt here.
        session.execute(
            sa.update(Customer)
            .where(Customer.id == customer.id)
            .values(stripe_customer_id=seen.id),
            execution_options={"synchronize_session": False},
        )


def _customer_deleted(session: Session, obj: Mapping[str, Any]) -> None:
    """Forget a deleted Stripe customer: the next invoice finds or creates one again."""
    seen = customer_from_stripe(obj, deleted=True)
    done = session.execute(
        sa.update(Customer)
        .where(Customer.stripe_customer_id == seen.id)
        .values(stripe_customer_id=None),
        execution_options={"synchronize_session": False},
    )
    if not getattr(done, "rowcount", 0):
        raise NotOurs(f"No customer of the hub is Stripe customer {seen.id}.")


HANDLERS: dict[str, Callable[[Session, Mapping[str, Any]], None]] = {
    **{name: _invoice_event(target) for name, target in INVOICE_EVENTS.items()},
    "credit_note.created": _credit_note,
    "charge.refunded": _charge_refunded,
    "customer.updated": _customer_updated,
    "customer.deleted": _customer_deleted,
}


@use_case
def _apply_one(session: Session, row_id: int) -> InboxStatus | None:
    row = stripe_inbox.claim(session, row_id)
    if row is None:
        return None
    handler = HANDLERS.get(row.type)
    data = row.payload.get("data")
    obj = data.get("object") if isinstance(data, Mapping) else None
    if handler is None or not isinstance(obj, Mapping):
        stripe_inbox.finish(row, InboxStatus.IGNORED)
        return InboxStatus.IGNORED
    try:
        with session.begin_nested():
            handler(session, obj)
    except NotOurs as exc:
        stripe_inbox.finish(row, InboxStatus.IGNORED, str(exc))
        return InboxStatus.IGNORED
    stripe_inbox.finish(row, InboxStatus.APPLIED)
    return InboxStatus.APPLIED


def apply_received(session: Session, limit: int = BATCH) -> NewsCounts:
    """Apply up to ``limit`` received events in Stripe's order; count applied, ignored, failed."""
    counts = NewsCounts()
    for row_id in stripe_inbox.received_ids(session, limit):
        try:
            outcome = _apply_one(session, row_id)
        except Exception as exc:
            # Recorded on the event, applied again when Stripe redelivers it; the others go on.
            log.warning(
                "stripe event failed",
                extra={"fields": {"row": row_id, "error": type(exc).__name__}},
            )
            stripe_inbox.mark_failed(session, row_id, f"{type(exc).__name__}: {exc}")
            counts += NewsCounts(failed=1)
            continue
        if outcome == InboxStatus.APPLIED:
            counts += NewsCounts(applied=1)
        elif outcome == InboxStatus.IGNORED:
            counts += NewsCounts(ignored=1)
    return counts


def drain(session: Session, *, stopping: Callable[[], bool] = lambda: False) -> NewsCounts:
    """Apply batches until no received event is left (or the worker stops)."""
    counts = NewsCounts()
    while not stopping():
        batch = apply_received(session)
        counts += batch
        if batch.total < BATCH:
            break
    return counts
