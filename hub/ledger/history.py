"""Every change to an order leaves a history line and, for the connectors, outbox rows."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from connectors.payloads import OrderChanged
from hub.errors import N_, StaleEdit
from hub.ledger.actor import Actor
from hub.ledger.outbox import enqueue
from hub.ledger.snapshots import order_payload
from hub.models import Order, OrderEvent
from hub.sql import utcnow


def check_version(order: Order, expected_version: int | None) -> None:
    """Refuse an edit made on an older version of the order than the stored one."""
    if expected_version is not None and order.version != expected_version:
        raise StaleEdit(
            N_(
                "Someone else changed order %(ref)s meanwhile. Your changes were not saved; "
                "review the order as it is now, then apply them again."
            ),
            ref=order.ref,
        )


def record_change(
    session: Session,
    order: Order,
    actor: Actor,
    kind: str,
    topic: str | None,
    *,
    from_status: str | None = None,
    from_billing: str | None = None,
    changes: dict[str, Any] | None = None,
    status_changed: bool = False,
) -> None:
    """Append the history line and the outbox rows for a change, in the caller's transaction."""
    order.updated_at = utcnow()
    session.flush()
    # A Core insert: one statement, no object to track; the history is read back on demand.
    session.execute(
        sa.insert(OrderEvent),
        [
            {
                "order_id": order.id,
                "actor_id": actor.user_id,
                "actor_label": actor.label,
                "at": order.updated_at,
                "kind": kind,
                "from_status": from_status,
                "to_status": (order.status if status_changed or from_status is not None else None),
                "from_billing": from_billing,
                "to_billing": order.billing_status if from_billing is not None else None,
                "changes": changes or {},
            }
        ],
    )
    if "events" in sa.inspect(order).dict:
        # Loaded before this change: read it again, with the new line, when next asked.
        session.expire(order, ["events"])
    if topic is not None:
        assert order.ref is not None
        enqueue(session, topic, "order", order.ref, OrderChanged(order=order_payload(order)))
