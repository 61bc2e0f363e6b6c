"""What the connectors learnt, recorded in the ledger with the delivery that learnt it.

The dispatcher calls ``record_facts`` in the transaction that marks an outbox row delivered
(jobs/dispatcher.py), inside a savepoint: if recording fails, the row is retried and the
vendor's idempotency keys bring the same facts back. Every handler is idempotent, since a
delivery whose outcome was lost with its worker is delivered, and recorded, again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from connectors.base import Event
from connectors.facts import (
    CustomerLinked,
    Fact,
    InvoiceIssued,
    InvoiceReversed,
    SheetChecked,
    Superseded,
)
from hub.ledger.invoice_results import record_invoice_issued, record_invoice_reversed
from hub.ledger.sheet_health import record_sheet_checked
from hub.models import Customer

log = logging.getLogger("hub.ledger.delivery_results")


def _customer_linked(session: Session, event: Event, fact: CustomerLinked) -> None:
    customer = session.get(Customer, fact.customer_id)
    if customer is None or customer.stripe_customer_id == fact.stripe_customer_id:
        return
    if customer.stripe_customer_id is not None:
        # The connector found the old one gone (deleted in Stripe's dashboard, say) and made
        # a new one before the customer.deleted webhook arrived: the new one is the truth.
        log.warning(
            "stripe customer replaced",
            extra={
                "fields": {
                    "customer": customer.ref,
                    "old": customer.stripe_customer_id,
                    "new": fact.stripe_customer_id,
                }
            },
        )
    # Not a change people made: the version and the customer.upserted event stay as they are.
    session.execute(
        sa.update(Customer)
        .where(Customer.id == customer.id)
        .values(stripe_customer_id=fact.stripe_customer_id),
        execution_options={"synchronize_session": False},
    )
    session.expire(customer, ["stripe_customer_id"])


def _superseded(session: Session, event: Event, fact: Superseded) -> None:
    log.info(
        "stale copy dropped",
        extra={
            "fields": {
                "outbox_id": event.id,
                "ref": fact.aggregate_ref,
                "version": fact.delivered_version,
                "newer": fact.newer_version,
            }
        },
    )


#: Which ledger function records which kind of fact: one table, so a process records every
#: fact whatever it happened to import.
_HANDLERS: dict[type[Any], Callable[[Session, Event, Any], None]] = {
    CustomerLinked: _customer_linked,
    Superseded: _superseded,
    InvoiceIssued: record_invoice_issued,
    InvoiceReversed: record_invoice_reversed,
    SheetChecked: record_sheet_checked,
}


def record_facts(session: Session, event: Event, facts: Sequence[Fact]) -> None:
    """Record each fact through its handler, in the caller's transaction."""
    for fact in facts:
        handler = _HANDLERS.get(type(fact))
        if handler is None:
            raise TypeError(f"No ledger handler records {type(fact).__name__} facts.")
        handler(session, event, fact)
