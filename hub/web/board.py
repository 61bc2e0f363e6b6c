"""Today's board for staff: the day's missions and the orders that need someone's attention."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Flask, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session, selectinload

from hub.db import business_zone, get_session
from hub.models import BillingStatus, Order, OrderStatus
from hub.web.auth import staff_required
from hub.web.forms import handle_hub_errors

bp = Blueprint("board", __name__)
handle_hub_errors(bp)

#: Counts stop here, so the board stays cheap however many orders pile up in one state.
COUNT_CAP = 999
LIST_SIZE = 10
MAX_MISSIONS = 300
BILLING_PROBLEMS = (BillingStatus.PAYMENT_FAILED.value, BillingStatus.UNCOLLECTIBLE.value)


def _capped_count(session: Session, condition: sa.ColumnElement[bool]) -> int:
    inner = sa.select(Order.id).where(condition).limit(COUNT_CAP + 1).subquery()
    return session.scalar(sa.select(sa.func.count()).select_from(inner)) or 0


def _orders(session: Session, condition: sa.ColumnElement[bool], *order_by: Any) -> list[Order]:
    stmt = (
        sa.select(Order)
        .where(condition)
        .options(selectinload(Order.provider))
        .order_by(*order_by)
        .limit(LIST_SIZE)
    )
    return list(session.scalars(stmt))


def _billing_problems(session: Session) -> list[Order]:
    """List the newest orders whose payment failed, one indexed query per billing state."""
    found = [
        order
        for state in BILLING_PROBLEMS
        for order in _orders(session, Order.billing_status == state, Order.id.desc())
    ]
    return sorted(found, key=lambda order: order.id, reverse=True)[:LIST_SIZE]


def _day() -> date:
    """Return the day asked for in ?day=YYYY-MM-DD, else today in the business's time zone."""
    try:
        asked = date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        asked = None
    if asked is not None and 2000 <= asked.year <= 2100:
        return asked
    return datetime.now(business_zone(get_session())).date()


@bp.get("/board")
@staff_required
def index() -> ResponseReturnValue:
    session = get_session()
    zone = business_zone(session)
    day = _day()
    # Midnight to midnight in the business's time zone, so a 23:30 mission stays on its day.
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    missions = list(
        session.scalars(
            sa.select(Order)
            .where(
                Order.scheduled_at >= start,
                Order.scheduled_at < end,
                Order.status != OrderStatus.CANCELLED.value,
            )
            .options(selectinload(Order.provider), selectinload(Order.lines))
            .order_by(Order.scheduled_at, Order.id)
            .limit(MAX_MISSIONS)
        )
    )
    is_new = Order.status == OrderStatus.NEW.value
    is_scheduled = Order.status == OrderStatus.SCHEDULED.value
    # updated_at moves on completion and is indexed, so it narrows "done that day" cheaply;
    # `status || ''` keeps SQLite from preferring the far less selective status index.
    done_that_day = sa.and_(
        (Order.status + "") == OrderStatus.DONE.value,
        Order.updated_at >= start,
        Order.completed_at >= start,
        Order.completed_at < end,
    )
    billing_problem = Order.billing_status.in_(BILLING_PROBLEMS)
    counts = {
        "new": _capped_count(session, is_new),
        "scheduled": _capped_count(session, is_scheduled),
        "done": _capped_count(session, done_that_day),
        "billing": _capped_count(session, billing_problem),
    }
    return render_template(
        "board/index.html",
        day=day,
        today=datetime.now(zone).date(),
        previous_day=day - timedelta(days=1),
        next_day=day + timedelta(days=1),
        missions=missions,
        counts=counts,
        count_cap=COUNT_CAP,
        to_schedule=_orders(session, is_new, Order.id),
        done=_orders(session, done_that_day, Order.completed_at.desc()),
        billing_problems=_billing_problems(session),
    )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
