"""A provider's missions as rows: the open ones in time order, and those done lately."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from hub.ledger.order_rows import OrderRow, order_rows_select, read_order_rows
from hub.models import Order, OrderStatus
from hub.sql import utcnow

RECENT_DAYS = 7
MAX_RECENT = 20
# A provider's open missions fit on one page; the cap only guards against a runaway backlog.
MAX_OPEN = 200


def open_missions(session: Session, provider_id: int) -> list[OrderRow]:
    """List the provider's scheduled missions, earliest first, undated ones last."""
    stmt = (
        order_rows_select()
        .where(Order.provider_id == provider_id, Order.status == OrderStatus.SCHEDULED)
        .order_by(Order.scheduled_at.asc().nulls_last(), Order.id)
        .limit(MAX_OPEN)
    )
    return read_order_rows(session, stmt, with_lines=True)


def recently_done(session: Session, provider_id: int) -> list[OrderRow]:
    """List the missions the provider completed in the last RECENT_DAYS days, newest first."""
    since = utcnow() - timedelta(days=RECENT_DAYS)
    stmt = (
        order_rows_select()
        .where(
            Order.provider_id == provider_id,
            Order.status == OrderStatus.DONE,
            Order.completed_at >= since,
        )
        .order_by(Order.completed_at.desc(), Order.id.desc())
        .limit(MAX_RECENT)
    )
    return read_order_rows(session, stmt, with_lines=True)
