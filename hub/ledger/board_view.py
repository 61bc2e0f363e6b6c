"""Today's board as data: the day's missions, capped counts, and the orders needing attention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.ledger.order_rows import OrderRow, order_rows_select, read_order_rows
from hub.models import BillingStatus, Order, OrderStatus
from hub.sql import business_zone

#: Counts stop here, so the board stays cheap however many orders pile up in one state.
COUNT_CAP = 999
LIST_SIZE = 10
MAX_MISSIONS = 300
BILLING_PROBLEMS = (BillingStatus.PAYMENT_FAILED, BillingStatus.UNCOLLECTIBLE)


@dataclass(frozen=True)
class Board:
    """One day of the business: its missions, counts per heading, and short lists to act on."""

    day: date
    today: date
    missions: list[OrderRow]
    counts: dict[str, int]
    to_schedule: list[OrderRow]
    done: list[OrderRow]
    billing_problems: list[OrderRow]


def _capped_count(session: Session, condition: sa.ColumnElement[bool]) -> int:
    inner = sa.select(Order.id).where(condition).limit(COUNT_CAP + 1).subquery()
    return session.scalar(sa.select(sa.func.count()).select_from(inner)) or 0


def _orders(session: Session, condition: sa.ColumnElement[bool], *order_by: Any) -> list[OrderRow]:
    stmt = order_rows_select().where(condition).order_by(*order_by).limit(LIST_SIZE)
    return read_order_rows(session, stmt)


def _billing_problems(session: Session) -> list[OrderRow]:
    """List the newest orders whose payment failed, one indexed query per billing state."""
    found = [
        order
        for state in BILLING_PROBLEMS
        for order in _orders(session, Order.billing_status == state, Order.id.desc())
    ]
    return sorted(found, key=lambda order: order.id, reverse=True)[:LIST_SIZE]


def today(session: Session) -> date:
    """Return today's date in the business's time zone."""
    return datetime.now(business_zone(session)).date()


def read_board(session: Session, day: date) -> Board:
    """Gather the board of one day, midnight to midnight in the business's time zone."""
    zone = business_zone(session)
    # Local midnights, so that a 23:30 mission stays on its day.
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    missions = read_order_rows(
        session,
        order_rows_select()
        .where(
            Order.scheduled_at >= start,
            Order.scheduled_at < end,
            Order.status != OrderStatus.CANCELLED,
        )
        .order_by(Order.scheduled_at, Order.id)
        .limit(MAX_MISSIONS),
        with_lines=True,
    )
    is_new = Order.status == OrderStatus.NEW
    is_scheduled = Order.status == OrderStatus.SCHEDULED
    # updated_at moves on completion and is indexed, so it narrows "done that day" cheaply;
    # `status || ''` on plain text keeps SQLite from preferring the less selective status index.
    done_that_day = sa.and_(
        (sa.type_coerce(Order.status, sa.String) + "") == OrderStatus.DONE.value,
        Order.updated_at >= start,
        Order.completed_at >= start,
        Order.completed_at < end,
    )
    billing_problem = Order.billing_status.in_(BILLING_PROBLEMS)
    return Board(
        day=day,
        today=today(session),
        missions=missions,
        counts={
            "new": _capped_count(session, is_new),
            "scheduled": _capped_count(session, is_scheduled),
            "done": _capped_count(session, done_that_day),
            "billing": _capped_count(session, billing_problem),
        },
        to_schedule=_orders(session, is_new, Order.id),
        done=_orders(session, done_that_day, Order.completed_at.desc()),
        billing_problems=_billing_problems(session),
    )
