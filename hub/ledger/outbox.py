"""Write outbox rows beside a ledger change, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from connectors.payloads import Payload, to_json
from hub.models import OutboxRow

# Customer and order events are different aggregates, so they are delivered in any relative
# order (an order may reach Stripe before its customer's own event). The order payload carries
# the customer snapshot (id, ref, name, email, phone, address) so the billing connector upserts
# the customer from it instead of relying on customer.upserted having arrived first.
#: Which connectors take which topics. A topic fans out to one row per connector, so each
#: connector keeps its own delivery state; connectors declare the same topics (checked by test).
#: Billing is decided in the ledger: Stripe takes the invoices it decided (``invoice.*``)
#: and the customers' changes, never raw order events; the sheet takes every order change.
SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    "customer.upserted": ("stripe",),
    "order.created": ("sheets",),
    "order.updated": ("sheets",),
    "order.scheduled": ("sheets",),
    "order.done": ("sheets",),
    "order.reopened": ("sheets",),
    "order.cancelled": ("sheets",),
    "order.billing_changed": ("sheets",),
    "invoice.requested": ("stripe",),
    "invoice.cancelled": ("stripe",),
}


def enqueue(
    session: Session,
    topic: str,
    aggregate_type: str,
    aggregate_ref: str,
    payload: Payload,
    *,
    not_before: datetime | None = None,
) -> list[int]:
    """Add one outbox row per connector subscribed to the topic; the caller commits.

    ``payload`` is typed (``connectors.payloads``) and stored with its schema version.
    ``not_before`` holds the rows back until then (a per-order invoice waits a while after
    its order is done). Returns the new rows' ids.
    """
    connectors = SUBSCRIPTIONS[topic]
    if topic not in type(payload).topics:
        raise ValueError(f"a {type(payload).__name__} payload cannot go out as {topic!r}")
    body = {"topic": topic, **to_json(payload)}
    when = {"next_attempt_at": not_before} if not_before is not None else {}
    # One Core insert for every connector's row: nothing reads them back in this transaction.
    ids = session.scalars(
        sa.insert(OutboxRow).returning(OutboxRow.id),
        [
            {
                "connector": connector,
                "topic": topic,
                "aggregate_type": aggregate_type,
                "aggregate_ref": aggregate_ref,
                "payload": body,
                **when,
            }
            for connector in connectors
        ],
    ).all()
    wake_dispatchers(session, connectors)
    return list(ids)


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
