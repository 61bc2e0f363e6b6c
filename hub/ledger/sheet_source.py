"""The ledger's side of a sheet rebuild or reconcile: every order as the sheet gets it."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload, selectinload

from connectors.payloads import OrderPayload
from hub.ledger.snapshots import order_payload
from hub.models import Order

#: Orders read per query: enough to keep round trips few, few enough to keep memory flat.
CHUNK = 2_000


def order_count(session: Session) -> int:
    """Return how many orders the ledger holds (the progress bar's end)."""
    return (
        session.scalar(sa.select(sa.func.count()).select_from(Order).where(Order.ref.is_not(None)))
        or 0
    )


def order_payloads(session: Session, *, chunk: int = CHUNK) -> Iterator[list[OrderPayload]]:
    """Yield every order with a reference as ``OrderPayload``, by id, ``chunk`` at a time.

    Each chunk is a short read (keyset on the id), so a rebuild of a large ledger never holds
    one long transaction open while the sheet is written.
    """
    after = 0
    while True:
        orders = session.scalars(
            sa.select(Order)
            .where(Order.id > after, Order.ref.is_not(None))
            .order_by(Order.id)
            .limit(chunk)
            .options(
                joinedload(Order.provider),
                joinedload(Order.created_by),
                joinedload(Order.invoice),
                selectinload(Order.lines),
            )
        ).all()
        if not orders:
            session.rollback()
            return
        after = orders[-1].id
        payloads = [order_payload(order) for order in orders]
        # End the read and forget the rows: memory stays one chunk deep.
        session.rollback()
        session.expunge_all()
        yield payloads
