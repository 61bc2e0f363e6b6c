"""Facts a connector learnt from its vendor, handed back to the ledger with the outcome.

Plain frozen data, no session: the dispatcher passes them to ``hub.ledger.delivery_results``
in the transaction that marks the outbox row delivered, so the ledger records a Stripe id,
an invoice number or a new billing state exactly when the delivery is recorded, and a
delivery that is retried (its outcome lost with a killed worker) brings the same facts again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class CustomerLinked:
    """The hub customer ``customer_id`` is ``stripe_customer_id`` in Stripe."""

    customer_id: int
    stripe_customer_id: str


@dataclass(frozen=True)
class InvoiceIssued:
    """The hub invoice ``invoice_id`` exists in Stripe, with this number, links and status.

    ``status`` is Stripe's (``draft``, ``open``, ``paid``, ``void``, ``uncollectible``).
    """

    invoice_id: int
    stripe_invoice_id: str
    status: str
    total_cents: int
    tax_cents: int
    number: str | None = None
    hosted_url: str | None = None
    pdf_url: str | None = None
    paid_at: datetime | None = None


@dataclass(frozen=True)
class InvoiceReversed:
    """An order's part of a hub invoice was reversed: ``void`` or ``credited`` (credit note)."""

    invoice_id: int
    order_ref: str
    outcome: str
    credit_note_id: str | None = None
    amount_cents: int = 0


@dataclass(frozen=True)
class Superseded:
    """The vendor already holds a newer version than this delivery's copy: nothing was sent."""

    aggregate_ref: str
    delivered_version: int
    newer_version: int


@dataclass(frozen=True)
class SheetChecked:
    """What a sheet write saw: duplicate references (ref, rows) and the cells in use."""

    duplicates: tuple[tuple[str, int], ...]
    removed: int
    cells: int | None
    cells_warning: bool


Fact = CustomerLinked | InvoiceIssued | InvoiceReversed | Superseded | SheetChecked
