"""Write outbox rows beside a ledger change, in the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from hub.models import OutboxRow

#: Which connectors take which topics. A topic fans out to one row per connector, so each
#: connector keeps its own delivery state; connectors declare the same topics (checked by test).
SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    "customer.upserted": ("stripe",),
    "order.created": ("stripe", "sheets"),
    "order.updated": ("stripe", "sheets"),
    "order.scheduled": ("sheets",),
    "order.done": ("stripe", "sheets"),
    "order.cancelled": ("stripe", "sheets"),
    "order.billing_changed": ("sheets",),
}


def enqueue(
    session: Session, topic: str, aggregate_type: str, aggregate_ref: str, payload: dict[str, Any]
) -> list[OutboxRow]:
    """Add one outbox row per connector subscribed to the topic; the caller commits."""
    connectors = SUBSCRIPTIONS[topic]
    rows = [
        OutboxRow(
            connector=connector,
            topic=topic,
            aggregate_type=aggregate_type,
            aggregate_ref=aggregate_ref,
            payload={"topic": topic, **payload},
        )
        for connector in connectors
    ]
    session.add_all(rows)
    return rows
