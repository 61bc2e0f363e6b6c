"""Write outbox rows beside a ledger change, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.models import OutboxRow

# Customer and order events are different aggregates, so they are delivered in any relative
# order (an order may reach Stripe before its customer's own event). The order payload carries
# the customer snapshot (id, ref, name, email, phone, address) so the billing connector upserts
# the customer from it instead of relying on customer.upserted having arrived first.
#: Which connectors take which topics. A topic fans out to one row per connector, so each
#: connector keeps its own delivery state; connectors declare the same topics (checked by test).
SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    "customer.upserted": ("stripe",),
    "order.created": ("stripe", "sheets"),
    "order.updated": ("stripe", "sheets"),
    "order.scheduled": ("sheets",),
    "order.done": ("stripe", "sheets"),
    # A done order reopened (done -> scheduled) before billing started: drop what order.done began.
    "order.reopened": ("stripe", "sheets"),
    "order.cancelled": ("stripe", "sheets"),
    "order.billing_changed": ("sheets",),
}


def enqueue(
    session: Session, topic: str, aggregate_type: str, aggregate_ref: str, payload: dict[str, Any]
) -> None:
    """Add one outbox row per connector subscribed to the topic; the caller commits."""
    connectors = SUBSCRIPTIONS[topic]
    body = {"topic": topic, **payload}
    # One Core insert for every connector's row: nothing reads them back in this transaction.
    session.execute(
        sa.insert(OutboxRow),
        [
            {
                "connector": connector,
                "topic": topic,
                "aggregate_type": aggregate_type,
                "aggregate_ref": aggregate_ref,
                "payload": body,
            }
            for connector in connectors
        ],
    )
    wake_dispatchers(session, connectors)


#: The PostgreSQL channel on which workers LISTEN for new deliveries (jobs/wakeup.py).
WAKE_CHANNEL = "hub_outbox"


def wake_dispatchers(session: Session, connectors: Iterable[str]) -> None:
    """Ask listening workers to look at these connectors' rows once the transaction commits.

    PostgreSQL queues a NOTIFY with the transaction and sends it only on commit (and drops it
    on rollback), so a worker never looks before the rows are visible. SQLite has no such
    channel: its workers poll the outbox's highest id a few times a second instead.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    names = ",".join(sorted(set(connectors)))
    with session.no_autoflush:
        session.execute(sa.select(sa.func.pg_notify(WAKE_CHANNEL, names)))
