"""Compare what Stripe holds with the ledger, repair what webhooks missed, report the rest.

Repaired here, as the webhook would have: an invoice's status, number and links, its orders'
billing (a missed ``invoice.paid`` makes the order paid, its history saying reconciliation
found it), a credited order; events Stripe sent that never reached the inbox are stored
there for the worker. Reported, for a person to settle in Stripe: an amount that differs,
a Stripe invoice no ledger invoice owns, an invoice or order billed twice, a ledger invoice
Stripe does not show, a credit note for an unknown order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from connectors.stripe.reading import StripeCreditNote, StripeInvoice, StripeSnapshot
from hub.errors import N_, HubError
from hub.ledger import stripe_inbox
from hub.ledger.actor import Actor
from hub.ledger.billing import apply_billing_news
from hub.ledger.stripe_invoices import (
    BILLING_OF_STATUS,
    RECONCILIATION,
    ForeignInvoice,
    apply_invoice_news,
    invoice_id_of_key,
)
from hub.models import BillingStatus, Invoice, InvoiceStatus, Order, ReconcileReport
from hub.sql import use_case, utcnow

TARGET = "stripe"
#: Who the history names for changes reconciliation made.
RECONCILER = Actor.system("reconcile")
#: Stripe statuses whose amount is final: a draft may still be getting its lines.
_SETTLED = frozenset({"open", "paid", "uncollectible"})


def _drift(kind: str, message: str, **params: Any) -> dict[str, Any]:
    return {"kind": kind, "message": message, "params": params}


def describe(item: dict[str, Any]) -> str:
    """Return a drift or repair entry as an English sentence (the pages translate the msgid)."""
    params: dict[str, Any] = item.get("params", {})
    return str(item["message"]) % params


class _Run:
    """One comparison: the repairs made and the drift found, in the order met."""

    def __init__(self, session: Session, live: bool) -> None:
        self.session = session
        self.live = live
        self.repairs: list[dict[str, Any]] = []
        self.drift: list[dict[str, Any]] = []

    def invoices(self, seen: Iterable[StripeInvoice]) -> None:
        by_key: dict[int, list[StripeInvoice]] = defaultdict(list)
        for invoice in seen:
            hub_id = invoice_id_of_key(invoice.invoice_key)
            if hub_id is None or self.session.get(Invoice, hub_id) is None:
                if invoice.status != "void":
                    self.drift.append(
                        _drift(
                            "unknown_invoice",
                            N_("Stripe invoice %(stripe)s (%(key)s) has no invoice in the hub."),
                            stripe=invoice.id,
                            key=invoice.invoice_key or "-",
                        )
                    )
                continue
            by_key[hub_id].append(invoice)
        for hub_id, copies in sorted(by_key.items()):
            ledger = self.session.get(Invoice, hub_id)
            assert ledger is not None
            primary = self._primary(ledger, copies)
            if primary is not None:
                self._compare(ledger, primary)

    def _primary(self, ledger: Invoice, copies: list[StripeInvoice]) -> StripeInvoice | None:
        """Return the Stripe invoice that is the ledger's; report the extra live copies."""
        live = [c for c in copies if c.status != "void"]
        linked = [c for c in copies if c.id == ledger.stripe_invoice_id]
        primary = linked[0] if linked else (live[0] if len(live) == 1 else None)
        if primary is None and not live and copies:
            primary = copies[0]
        extra = [c.id for c in live if primary is None or c.id != primary.id]
        if extra:
            self.drift.append(
                _drift(
                    "invoiced_twice",
                    N_("Invoice %(key)s exists more than once in Stripe: %(ids)s."),
                    key=ledger.key,
                    ids=", ".join(sorted({*extra, *(c.id for c in live)})),
                )
            )
        return primary

    def _compare(self, ledger: Invoice, seen: StripeInvoice) -> None:
        if seen.status in _SETTLED and seen.total_cents != ledger.total_cents:
            self.drift.append(
                _drift(
                    "amount_mismatch",
                    N_(
                        "Invoice %(key)s (%(stripe)s) totals %(stripe_cents)s cents in Stripe "
                        "but %(ledger_cents)s in the hub."
                    ),
                    key=ledger.key,
                    stripe=seen.id,
                    stripe_cents=seen.total_cents,
                    ledger_cents=ledger.total_cents,
                )
            )
        before = ledger.status
        try:
            with self.session.begin_nested():
                update = apply_invoice_news(
                    self.session,
                    RECONCILER,
                    seen,
                    BILLING_OF_STATUS.get(seen.status),
                    source=RECONCILIATION,
                )
        except (HubError, ForeignInvoice) as exc:
            self.drift.append(
                _drift(
                    "not_applied",
                    N_("Invoice %(key)s is %(status)s in Stripe; the hub refused it: %(error)s"),
                    key=ledger.key,
                    status=seen.status,
                    error=str(exc),
                )
            )
            return
        if update.orders_moved or ledger.status != before:
            self.repairs.append(
                _drift(
                    "invoice",
                    N_("Invoice %(key)s is %(status)s in Stripe: recorded (orders %(orders)s)."),
                    key=ledger.key,
                    status=seen.status,
                    orders=", ".join(update.orders_moved) or "-",
                )
            )

    def orders_on_two_invoices(self, seen: Iterable[StripeInvoice]) -> None:
        """Report an order that two live Stripe invoices bill."""
        billed: dict[str, set[str]] = defaultdict(set)
        for invoice in seen:
            if invoice.status != "void":
                for ref in invoice.order_refs:
                    billed[ref].add(invoice.id)
        for ref, ids in sorted(billed.items()):
            if len(ids) > 1:
                self.drift.append(
                    _drift(
                        "order_invoiced_twice",
                        N_("Order %(ref)s is billed by %(count)s Stripe invoices: %(ids)s."),
                        ref=ref,
                        count=len(ids),
                        ids=", ".join(sorted(ids)),
                    )
                )

    def credit_notes(self, notes: Iterable[StripeCreditNote]) -> None:
        for note in notes:
            if note.order_ref is None or note.status != "issued":
                continue
            order = self.session.scalar(sa.select(Order).where(Order.ref == note.order_ref))
            if order is None:
                self.drift.append(
                    _drift(
                        "unknown_order",
                        N_("Credit note %(note)s names order %(ref)s, unknown to the hub."),
                        note=note.id,
                        ref=note.order_ref,
                    )
                )
                continue
            details = {"credit_note": note.number or note.id, "source": RECONCILIATION}
            if apply_billing_news(
                self.session, RECONCILER, note.order_ref, BillingStatus.CREDITED, details
            ):
                self.repairs.append(
                    _drift(
                        "credited",
                        N_("Order %(ref)s was credited by %(note)s: recorded."),
                        ref=note.order_ref,
                        note=note.id,
                    )
                )

    def missing_in_stripe(self, since: datetime, seen: Iterable[StripeInvoice]) -> None:
        """Report ledger invoices sent to Stripe since ``since`` that Stripe does not list."""
        known = {invoice.id for invoice in seen}
        sent = self.session.scalars(
            sa.select(Invoice)
            .where(
                Invoice.created_at >= since,
                Invoice.stripe_invoice_id.is_not(None),
                Invoice.status != InvoiceStatus.REQUESTED,
            )
            .order_by(Invoice.id)
        )
        for invoice in sent:
            if invoice.stripe_invoice_id not in known:
                self.drift.append(
                    _drift(
                        "missing_in_stripe",
                        N_("Invoice %(key)s is %(stripe)s in the hub; Stripe does not list it."),
                        key=invoice.key,
                        stripe=invoice.stripe_invoice_id,
                    )
                )

    def missed_events(self, events: Iterable[Any]) -> int:
        """Store the events Stripe sent that never reached the inbox; return how many."""
        events = [e for e in events if bool(e.get("livemode")) == self.live]
        known = stripe_inbox.known_event_ids(self.session, [str(e["id"]) for e in events])
        stored = 0
        for event in events:
            if event["id"] not in known:
                receipt = stripe_inbox.store_event(self.session, event)
                stored += receipt == stripe_inbox.Receipt.STORED
        return stored


@use_case
def reconcile_stripe(
    session: Session, snapshot: StripeSnapshot, *, live: bool = False
) -> ReconcileReport:
    """Compare a snapshot of Stripe with the ledger, repair what can be, store the report."""
    started = utcnow()
    run = _Run(session, live)
    run.invoices(snapshot.invoices)
    run.orders_on_two_invoices(snapshot.invoices)
    run.credit_notes(snapshot.credit_notes)
    run.missing_in_stripe(snapshot.since, snapshot.invoices)
    recovered = run.missed_events(snapshot.events)
    report = ReconcileReport(
        target=TARGET,
        started_at=started,
        finished_at=utcnow(),
        repaired=len(run.repairs),
        unresolved=len(run.drift),
        details={
            "since": snapshot.since.isoformat(),
            "seen": {
                "invoices": len(snapshot.invoices),
                "credit_notes": len(snapshot.credit_notes),
                "events": len(snapshot.events),
            },
            "events_recovered": recovered,
            "repairs": run.repairs,
            "drift": run.drift,
        },
    )
    session.add(report)
    session.flush()
    return report


def last_report(session: Session) -> ReconcileReport | None:
    """Return the latest Stripe reconciliation report, if any ran."""
    return session.scalar(
        sa.select(ReconcileReport)
        .where(ReconcileReport.target == TARGET)
        .order_by(ReconcileReport.id.desc())
        .limit(1)
    )
