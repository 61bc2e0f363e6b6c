"""The sheet's summary tabs (Jour, Mois, Équipe), computed by the database from the ledger.

Each tab is one aggregate statement over orders, their lines and their history, grouped by a
business-zone day, month or ISO week (hub/ledger/business_calendar.py): no per-order work in
Python, so 100k orders cost a few table scans (bench/reports.py).
Figures follow the ledger's current state: a done order cancelled later no longer counts as
done, while its billing history (invoiced, paid) keeps counting on the days it happened.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from connectors.tables import Column, Table
from hub.ledger.business_calendar import BusinessCalendar, business_calendar
from hub.models import BillingStatus as B
from hub.models import Order, OrderEvent, OrderLine, OrderStatus, Service, ServiceUnit, User

#: Billing states reached only once an invoice was issued: an order's first move into one of
#: them is the day it was invoiced (an invoice paid at once goes pending -> paid).
ISSUED = (B.INVOICED, B.PAID, B.PAYMENT_FAILED, B.UNCOLLECTIBLE)
#: Invoiced and not yet paid (nor voided or credited): what customers still owe.
OUTSTANDING = (B.INVOICED, B.PAYMENT_FAILED, B.UNCOLLECTIBLE)
NO_PROVIDER = "(sans prestataire)"
UNIT_LABELS = {ServiceUnit.HOUR: "heure", ServiceUnit.UNIT: "unité", ServiceUnit.FLAT: "forfait"}

DAY_COLUMNS = (
    Column("Jour", "date"),
    Column("Commandes prises", "int"),
    Column("Terminées", "int"),
    Column("Annulées", "int"),
    Column("CA réalisé TTC", "money"),
    Column("Facturé TTC", "money"),
    Column("Payé TTC", "money"),
    Column("Reste dû TTC", "money"),
)
MONTH_COLUMNS = (
    Column("Mois", "date"),
    Column("Code", "text"),
    Column("Service", "text"),
    Column("Unité", "text"),
    Column("Commandes", "int"),
    Column("Quantité", "number"),
    Column("CA réalisé TTC", "money"),
)
TEAM_COLUMNS = (
    Column("Semaine", "text"),
    Column("Du", "date"),
    Column("Prestataire", "text"),
    Column("Missions", "int"),
    Column("Heures", "number"),
)

_MEASURES = ("taken", "done", "cancelled", "booked", "invoiced", "paid", "owed")


def summary_tables(session: Session) -> list[Table]:
    """Return the Jour, Mois and Équipe tabs, in that order, from the ledger as it is now."""
    calendar = business_calendar(session)
    return [
        day_table(session, calendar),
        month_table(session, calendar),
        team_table(session, calendar),
    ]


def _facts(day: sa.ColumnElement[date], **measures: Any) -> sa.Select[Any]:
    """One source of day figures: its day, and a value (0 if not given) for each measure."""
    zero = sa.literal_column("0", sa.Integer)
    return sa.select(
        day.label("day"), *(measures.get(name, zero).label(name) for name in _MEASURES)
    )


def _billing_moves() -> sa.CTE:
    """Each billed order's first move into ISSUED, and into paid, from one pass over history."""
    at = OrderEvent.at
    return (
        sa.select(
            OrderEvent.order_id,
            sa.func.min(at).label("issued_at"),
            sa.func.min(sa.case((OrderEvent.to_billing == B.PAID.value, at))).label("paid_at"),
        )
        .where(OrderEvent.to_billing.in_([state.value for state in ISSUED]))
        .group_by(OrderEvent.order_id)
        .cte("billing_moves")
    )


def day_table(session: Session, calendar: BusinessCalendar) -> Table:
    """Per business day: orders taken, done and cancelled; booked, invoiced, paid and owed.

    ``Reste dû`` is what stood invoiced and unpaid at the end of that day (OUTSTANDING):
    a running sum of every billing move into or out of those states, so a later payment
    does not rewrite the past days.
    """
    one = sa.literal_column("1", sa.Integer)
    zero = sa.literal_column("0", sa.Integer)
    moves = _billing_moves()
    total = Order.total_cents
    cancelled = OrderEvent.to_status == OrderStatus.CANCELLED.value
    was_owed = OrderEvent.from_billing.in_([state.value for state in OUTSTANDING])
    now_owed = OrderEvent.to_billing.in_([state.value for state in OUTSTANDING])
    owed_from = sa.and_(OrderEvent.from_billing.is_not(None), OrderEvent.to_billing.is_not(None))
    becomes_owed = sa.and_(owed_from, now_owed, ~was_owed)
    stops_owed = sa.and_(owed_from, was_owed, ~now_owed)
    sources = sa.union_all(
        _facts(calendar.day(Order.created_at), taken=one),
        _facts(calendar.day(Order.completed_at), done=one, booked=total).where(
            Order.status == OrderStatus.DONE, Order.completed_at.is_not(None)
        ),
        _facts(calendar.day(moves.c.issued_at), invoiced=total).join_from(
            moves, Order, Order.id == moves.c.order_id
        ),
        _facts(calendar.day(moves.c.paid_at), paid=total)
        .join_from(moves, Order, Order.id == moves.c.order_id)
        .where(moves.c.paid_at.is_not(None)),
        # Cancellations and what is owed, from one more pass over the history.
        _facts(
            calendar.day(OrderEvent.at),
            cancelled=sa.case((cancelled, one), else_=zero),
            owed=sa.case((becomes_owed, total), (stops_owed, -total), else_=zero),
        )
        .join_from(OrderEvent, Order, Order.id == OrderEvent.order_id)
        .where(sa.or_(cancelled, becomes_owed, stops_owed)),
    ).subquery()
    sums = [sa.func.sum(sources.c[name]) for name in _MEASURES[:-1]]
    owed = sa.func.sum(sa.func.sum(sources.c.owed)).over(order_by=sources.c.day)
    stmt = sa.select(sources.c.day, *sums, owed).group_by(sources.c.day).order_by(sources.c.day)
    rows = tuple(
        (day, *(int(value or 0) for value in figures)) for day, *figures in session.execute(stmt)
    )
    return Table("Jour", DAY_COLUMNS, rows)


def month_table(session: Session, calendar: BusinessCalendar) -> Table:
    """Per business month and per service: done orders, quantity sold and revenue (TTC)."""
    lines = (
        sa.select(
            calendar.month(Order.completed_at).label("month"),
            OrderLine.service_code,
            OrderLine.order_id,
            OrderLine.unit,
            OrderLine.quantity_milli,
            OrderLine.amount_cents,
        )
        .join_from(OrderLine, Order, Order.id == OrderLine.order_id)
        .where(Order.status == OrderStatus.DONE)
        .subquery()
    )
    per_service = (
        sa.select(
            lines.c.month,
            lines.c.service_code,
            sa.func.max(lines.c.unit).label("unit"),
            sa.func.count(sa.distinct(lines.c.order_id)).label("orders"),
            sa.func.sum(lines.c.quantity_milli).label("quantity_milli"),
            sa.func.sum(lines.c.amount_cents).label("cents"),
        )
        .group_by(lines.c.month, lines.c.service_code)
        .subquery()
    )
    stmt = sa.select(
        per_service.c.month,
        per_service.c.service_code,
        sa.func.coalesce(Service.label, per_service.c.service_code),
        per_service.c.unit,
        per_service.c.orders,
        per_service.c.quantity_milli,
        per_service.c.cents,
    ).outerjoin(Service, Service.code == per_service.c.service_code)
    # Sorted here, a few hundred rows: PostgreSQL's collation would order codes its own way.
    rows = sorted(
        (
            month,
            code,
            label,
            UNIT_LABELS.get(ServiceUnit(unit), unit),
            int(orders),
            int(milli) / 1000,
            int(cents),
        )
        for month, code, label, unit, orders, milli, cents in session.execute(stmt)
    )
    return Table("Mois", MONTH_COLUMNS, tuple(rows))


def team_table(session: Session, calendar: BusinessCalendar) -> Table:
    """Per provider and per ISO week (business zone): missions done and hours worked."""
    hour_milli = sa.case(
        (OrderLine.unit == ServiceUnit.HOUR.value, OrderLine.quantity_milli), else_=0
    )
    done = (
        sa.select(
            calendar.week(Order.completed_at).label("week"),
            Order.provider_id,
            Order.id.label("order_id"),
            hour_milli.label("hour_milli"),
        )
        .join_from(Order, OrderLine, OrderLine.order_id == Order.id)
        .where(Order.status == OrderStatus.DONE)
        .subquery()
    )
    per_week = (
        sa.select(
            done.c.week,
            done.c.provider_id,
            sa.func.count(sa.distinct(done.c.order_id)).label("missions"),
            sa.func.sum(done.c.hour_milli).label("hour_milli"),
        )
        .group_by(done.c.week, done.c.provider_id)
        .subquery()
    )
    stmt = sa.select(
        per_week.c.week,
        per_week.c.provider_id,
        User.name,
        per_week.c.missions,
        per_week.c.hour_milli,
    ).outerjoin(User, User.id == per_week.c.provider_id)
    found = sorted(
        (monday, name or NO_PROVIDER, provider_id or 0, int(missions), int(milli or 0) / 1000)
        for monday, provider_id, name, missions, milli in session.execute(stmt)
    )
    rows = tuple(
        (iso_week(monday), monday, name, missions, hours)
        for monday, name, _provider, missions, hours in found
    )
    return Table("Équipe", TEAM_COLUMNS, rows)


def iso_week(monday: date) -> str:
    """Name a week as French calendars do, by its ISO year and number: 2026-S01."""
    year, week, _ = monday.isocalendar()
    return f"{year}-S{week:02d}"
