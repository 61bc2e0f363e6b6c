"""Build billing events as the ledger would, and read the emulator's state back."""

from __future__ import annotations

import itertools
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.base import Event, Outcome
from connectors.errors import TransientError
from connectors.payloads import (
    CustomerChanged,
    CustomerInfo,
    InvoiceCancelled,
    InvoiceLine,
    InvoiceRequested,
    OrderVersion,
    Payload,
    to_json,
)
from connectors.stripe.connector import StripeConnector
from hub.money import format_cents, format_quantity, line_amounts
from sandbox.stripe import StripeEmulator

#: A line as a concierge types it: label, unit price in cents, quantity in thousandths, VAT.
Spec = tuple[str, int, int, int]
CLEANING: Spec = ("Ménage", 2600, 1500, 2000)
SHOPPING: Spec = ("Courses", 4500, 1000, 1000)
BOOKS: Spec = ("Livres", 1999, 2000, 550)


def customer(customer_id: int = 12, *, version: int = 1, **fields: Any) -> CustomerInfo:
    defaults: dict[str, Any] = {
        "ref": f"K-{customer_id:04d}",
        "name": "Ada Lovelace",
        "email": f"ada{customer_id}@example.fr",
        "phone": "+33 6 12 34 56 78",
        "address": "12 rue des Lilas\n75011 Paris",
    }
    return CustomerInfo(id=customer_id, version=version, **{**defaults, **fields})


def order_lines(order_ref: str, specs: Sequence[Spec]) -> list[InvoiceLine]:
    """Return an order's invoice lines, priced by the hub's own arithmetic."""
    lines = []
    for position, (label, unit_cents, milli, vat_bp) in enumerate(specs, start=1):
        amounts = line_amounts(unit_cents, milli, vat_bp)
        quantity = format_quantity(milli, "fr")
        lines.append(
            InvoiceLine(
                order_ref=order_ref,
                position=position,
                service_code=label.upper()[:6],
                description=f"{label} {quantity} × {format_cents(unit_cents, 'fr')}",  # noqa: RUF001
                amount_cents=amounts.amount_cents,
                vat_bp=vat_bp,
                vat_cents=amounts.vat_cents,
            )
        )
    return lines


@dataclass
class World:
    """Make events with fresh outbox ids, deliver them, and look into the emulator."""

    emulator: StripeEmulator
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def event(
        self,
        topic: str,
        payload: Payload,
        *,
        ref: str = "",
        event_id: int | None = None,
        attempt: int = 1,
        age: timedelta = timedelta(0),
    ) -> Event:
        return Event(
            id=event_id if event_id is not None else next(self._ids),
            topic=topic,
            aggregate_type=topic.partition(".")[0],
            aggregate_ref=ref,
            payload=to_json(payload),
            attempt=attempt,
            created_at=datetime.now(UTC) - age,
        )

    def invoice(
        self,
        orders: Mapping[str, Sequence[Spec]],
        *,
        invoice_id: int | None = None,
        who: CustomerInfo | None = None,
        mode: str = "per_order",
        collection_method: str = "send_invoice",
        versions: dict[str, int] | None = None,
        **event_options: Any,
    ) -> Event:
        """Return an ``invoice.requested`` event for the orders' lines."""
        number = invoice_id if invoice_id is not None else next(self._ids) + 1000
        lines = [line for ref, specs in orders.items() for line in order_lines(ref, specs)]
        payload = InvoiceRequested(
            invoice_id=number,
            invoice_key=f"hub-inv-{number}",
            customer=who or customer(),
            mode=mode,
            collection_method=collection_method,
            days_until_due=14,
            currency="eur",
            orders=tuple(OrderVersion(ref, (versions or {}).get(ref, 3)) for ref in orders),
            lines=tuple(lines),
            total_cents=sum(line.amount_cents for line in lines),
            vat_cents=sum(line.vat_cents for line in lines),
            period="2026-11" if mode == "monthly" else None,
        )
        return self.event("invoice.requested", payload, ref=payload.invoice_key, **event_options)

    def customer_changed(self, info: CustomerInfo, **event_options: Any) -> Event:
        return self.event("customer.upserted", CustomerChanged(info), ref=info.ref, **event_options)

    def cancelled(
        self,
        requested: Event,
        order_ref: str,
        *,
        action: str,
        version: int = 5,
        refund_to: str = "customer_balance",
        stripe_invoice_id: str | None = None,
        **event_options: Any,
    ) -> Event:
        issued = requested.payload
        lines = [line for line in issued["lines"] if line["order_ref"] == order_ref]
        payload = InvoiceCancelled(
            invoice_id=issued["invoice_id"],
            invoice_key=issued["invoice_key"],
            order=OrderVersion(order_ref, version),
            action=action,  # type: ignore[arg-type]
            lines=tuple(InvoiceLine(**{k: v for k, v in line.items()}) for line in lines),
            amount_cents=sum(line["amount_cents"] for line in lines),
            refund_to=refund_to,  # type: ignore[arg-type]
            stripe_invoice_id=stripe_invoice_id,
        )
        return self.event("invoice.cancelled", payload, ref=order_ref, **event_options)

    # -- looking into the emulator --------------------------------------------------------

    def objects(self, kind: str) -> list[dict[str, Any]]:
        store = self.emulator.store
        return [o for o in store.objects[kind].values() if o["id"] not in store.deleted]

    def lines_of(self, invoice_id: str) -> list[dict[str, Any]]:
        return list(self.emulator.store.lines[invoice_id])

    def calls(self) -> int:
        """Return the API requests made so far (every method)."""
        return self.emulator.requests_made()


def deliver(connector: StripeConnector, event: Event) -> Outcome:
    """Deliver one event and return its outcome."""
    (outcome,) = connector.deliver([event])
    return outcome


def deliver_until_done(
    connector: StripeConnector, event: Event, *, attempts: int = 6, pause: float = 0.2
) -> Outcome:
    """Deliver as the outbox does: again, with the next attempt number, while it is transient.

    The pause stands for the outbox's backoff: a request Stripe still runs answers 409.
    """
    for attempt in range(event.attempt, event.attempt + attempts):
        if attempt > event.attempt:
            time.sleep(pause)
        outcome = deliver(connector, _with_attempt(event, attempt))
        if not isinstance(outcome.error, TransientError):
            return outcome
    return outcome


def _with_attempt(event: Event, attempt: int) -> Event:
    return Event(
        event.id,
        event.topic,
        event.aggregate_type,
        event.aggregate_ref,
        event.payload,
        attempt,
        event.created_at,
    )
