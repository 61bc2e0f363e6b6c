"""Billing scenes for tests: done orders, their outbox rows, and a worker's hand-over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from connectors.base import Event
from connectors.facts import Fact
from hub.db import get_session, utcnow, write_transaction
from hub.ledger.delivery_results import record_facts
from hub.models import Invoice, Order, OrderEvent, OutboxRow
from jobs import claims
from tests.conftest import Users
from tests.factories import make_customer, make_order

#: A mission's time: in the past, so providers and staff may mark it done at once.
WHEN = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
CLEANING = [{"service_code": "CLEANING", "quantity": "1,5"}]


def done_order(
    app: Flask,
    users: Users,
    customer_id: int,
    lines: list[dict[str, Any]] | None = None,
) -> str:
    """Record an order for the customer and mark it done, as a provider's day would."""
    return make_order(
        app,
        customer_id,
        by=users.concierge,
        lines=lines,
        status="done",
        scheduled_at=WHEN.isoformat(),
        provider_id=users.provider.id,
    )


def customer(app: Flask, **fields: Any) -> int:
    return make_customer(app, **fields)


def completed_at(app: Flask, ref: str, when: datetime) -> None:
    """Move an order's completion to another time (a period of the past)."""
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            session.execute(
                sa.update(Order).where(Order.ref == ref).values(completed_at=when),
                execution_options={"synchronize_session": False},
            )


def rows(session: Session, topic: str) -> list[OutboxRow]:
    session.expire_all()
    return list(
        session.scalars(sa.select(OutboxRow).where(OutboxRow.topic == topic).order_by(OutboxRow.id))
    )


def order_of(session: Session, ref: str) -> Order:
    session.expire_all()
    return session.scalars(sa.select(Order).where(Order.ref == ref)).one()


def invoices(session: Session) -> list[Invoice]:
    session.expire_all()
    return list(session.scalars(sa.select(Invoice).order_by(Invoice.id)))


def kinds(session: Session, ref: str) -> list[str]:
    order = order_of(session, ref)
    return list(
        session.scalars(
            sa.select(OrderEvent.kind)
            .where(OrderEvent.order_id == order.id)
            .order_by(OrderEvent.id)
        )
    )


def take(session: Session, connector: str = "stripe") -> tuple[claims.Claim, list[int]]:
    """Claim and hand over what a worker would, an hour on (past the per-order delay)."""
    later = utcnow() + timedelta(hours=1)
    claim = claims.claim(session, connector, limit=100, lease_seconds=60, now=later)
    ids = [event.id for event in claim.events]
    return claim, claims.hand_over(session, claim, ids, lease_seconds=60, now=later)


def deliver(session: Session, claim: claims.Claim, event: Event, *facts: Fact) -> None:
    """Record a delivery and its facts in one transaction, as the dispatcher does."""
    with write_transaction(session):
        assert claims.settle_delivered(session, [event.id], claim.token, utcnow()) == [event.id]
        record_facts(session, event, facts)


def invoice_event(claim: claims.Claim, topic: str = "invoice.requested") -> Event:
    """Return the claim's one event of the topic (the customer's own rows travel beside it)."""
    (event,) = [event for event in claim.events if event.topic == topic]
    return event
