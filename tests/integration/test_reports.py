"""The summary tabs equal the ledger's figures, computed again here in Python from its rows.

Orders are recorded through the ledger (taken, scheduled, done, cancelled, billed by the
billing system's news), then their history is moved to chosen moments around midnight in
Europe/Paris, across DST changes, month and ISO-week boundaries, where a day taken in UTC
would land on the wrong line.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session, selectinload

from connectors.tables import Table
from hub.db import get_session, write_transaction
from hub.ledger.actor import Actor
from hub.ledger.billing import apply_billing_news
from hub.ledger.business_calendar import BusinessCalendar, offset_periods
from hub.ledger.fulfilment import cancel_order, complete_order
from hub.ledger.reports import ISSUED, OUTSTANDING, summary_tables
from hub.models import Order, OrderEvent, OrderStatus, ServiceUnit, User
from hub.sql import UTCDateTime
from tests.conftest import Users
from tests.factories import make_customer, make_order

PARIS = ZoneInfo("Europe/Paris")
STRIPE = Actor.system("stripe")


def paris(text: str) -> datetime:
    """A wall-clock moment in Paris, e.g. "2026-03-29 00:30", as an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=PARIS).astimezone(UTC)


@dataclass
class Life:
    """What happens to one order, and when (Paris wall-clock times)."""

    created: str
    lines: list[dict[str, Any]] = field(default_factory=lambda: [{"service_code": "KEYS"}])
    provider: str = "provider"
    done: str | None = None
    cancelled: str | None = None
    billing: list[tuple[str, str]] = field(default_factory=list)


def live(app: Flask, users: Users, customer_id: int, life: Life) -> str:
    """Record the order through the ledger, then move each history line to its moment."""
    provider: User = getattr(users, life.provider)
    ref = make_order(
        app,
        customer_id,
        by=users.concierge,
        lines=life.lines,
        provider_id=provider.id,
        scheduled_at=paris(life.created).isoformat(),
    )
    # Billing news and a cancellation in the order they happened, as the ledger would see them.
    steps: list[tuple[str, str]] = []
    if life.done:
        steps.append((life.done, "done"))
    steps += [(moment, f"billing_{state}") for state, moment in life.billing]
    if life.cancelled:
        steps.append((life.cancelled, "cancelled"))
    actor = Actor.of(users.concierge)
    with app.app_context():
        session = get_session()
        for _moment, kind in sorted(steps, key=lambda step: paris(step[0])):
            if kind == "done":
                complete_order(session, actor, ref)
            elif kind == "cancelled":
                cancel_order(session, actor, ref)
            else:
                assert apply_billing_news(session, STRIPE, ref, kind.removeprefix("billing_"))
        _retime(session, ref, life, steps)
    return ref


def _retime(session: Session, ref: str, life: Life, steps: list[tuple[str, str]]) -> None:
    moments = {"created": paris(life.created), "scheduled": paris(life.created)}
    moments |= {kind: paris(moment) for moment, kind in steps}
    last = max(moments.values())
    with write_transaction(session):
        order = session.scalars(sa.select(Order).where(Order.ref == ref)).one()
        session.execute(
            sa.update(Order)
            .where(Order.id == order.id)
            .values(
                created_at=moments["created"],
                updated_at=last,
                completed_at=moments["done"] if life.done else None,
            )
            .execution_options(synchronize_session=False)
        )
        for kind, moment in moments.items():
            session.execute(
                sa.update(OrderEvent)
                .where(OrderEvent.order_id == order.id, OrderEvent.kind == kind)
                .values(at=moment)
            )
    session.expire_all()


STORIES = [
    # Taken 23:30 on the 28th (22:30 UTC), done 00:30 on the 29th: still the 28th in UTC.
    Life("2026-03-28 23:30", done="2026-03-29 00:30", billing=[("invoiced", "2026-03-29 00:45")]),
    # The night clocks go forward: 23:30 CEST is 21:30 UTC.
    Life(
        "2026-03-29 09:00",
        lines=[{"service_code": "CLEANING", "quantity": "2,5"}, {"service_code": "PARCEL"}],
        done="2026-03-29 23:30",
        billing=[
            ("pending", "2026-03-30 00:10"),
            ("invoiced", "2026-03-30 00:20"),
            ("paid", "2026-04-02 00:30"),
        ],
    ),
    # Monday 00:30 CEST is Sunday 22:30 UTC: a new ISO week in Paris.
    Life(
        "2026-03-30 00:30",
        lines=[{"service_code": "ASSEMBLY", "quantity": "1,5"}],
        provider="other_provider",
        done="2026-03-30 00:40",
        billing=[
            ("invoiced", "2026-03-31 23:50"),
            ("payment_failed", "2026-04-01 00:05"),
            ("paid", "2026-04-03 12:00"),
        ],
    ),
    # 1 April 00:15 CEST is still 31 March in UTC: April's revenue in Paris.
    Life(
        "2026-03-31 22:00",
        lines=[{"service_code": "CLEANING", "quantity": "3"}],
        done="2026-04-01 00:15",
        billing=[("pending", "2026-04-01 00:20"), ("paid", "2026-04-01 00:25")],
    ),
    # Cancelled before it was done.
    Life("2026-03-31 23:10", cancelled="2026-04-01 00:10"),
    # Done, invoiced, then cancelled: the invoice is voided; no longer done nor owed.
    Life(
        "2026-04-01 08:00",
        done="2026-04-01 18:00",
        billing=[("invoiced", "2026-04-01 23:59"), ("void", "2026-04-02 00:01")],
        cancelled="2026-04-02 00:00",
    ),
    # Paid, then cancelled and credited: paid on its day, credited later.
    Life(
        "2026-04-02 10:00",
        lines=[{"service_code": "IRONING", "quantity": "1,25"}],
        done="2026-04-02 11:00",
        billing=[
            ("invoiced", "2026-04-02 12:00"),
            ("paid", "2026-04-02 13:00"),
            ("credited", "2026-04-05 09:00"),
        ],
        cancelled="2026-04-05 08:00",
    ),
    # The night clocks go back: 02:30 happens twice; 23:30 CET is 22:30 UTC.
    Life(
        "2026-10-25 00:30",
        lines=[{"service_code": "REPAIR", "quantity": "2"}],
        provider="other_provider",
        done="2026-10-25 23:30",
        billing=[("invoiced", "2026-10-26 00:30"), ("uncollectible", "2026-11-30 23:30")],
    ),
    # New Year's Eve: ISO week 2026-W01 starts on Monday 29 December 2025.
    Life(
        "2025-12-31 20:00",
        lines=[{"service_code": "PLANTS"}, {"service_code": "CLEANING", "quantity": "1"}],
        done="2025-12-31 23:30",
    ),
    # Still open: taken only.
    Life("2026-04-02 23:59"),
]


@pytest.fixture
def ledger(app: Flask, users: Users) -> Iterator[Session]:
    customer = make_customer(app)
    for life in STORIES:
        live(app, users, customer, life)
    with app.app_context():
        yield get_session()


def _by_name(tables: list[Table]) -> dict[str, Table]:
    return {table.name: table for table in tables}


def _day(moment: datetime) -> date:
    return moment.astimezone(PARIS).date()


def _orders(session: Session) -> list[Order]:
    return list(
        session.scalars(
            sa.select(Order).options(selectinload(Order.lines), selectinload(Order.events))
        )
    )


def expected_days(session: Session) -> list[tuple[object, ...]]:
    """Jour, computed order by order: each order's billing replayed to each day's end."""
    orders = _orders(session)
    figures: dict[date, list[int]] = defaultdict(lambda: [0] * 6)
    billing_days: set[date] = set()
    for order in orders:
        figures[_day(order.created_at)][0] += 1
        if order.status == OrderStatus.DONE:
            assert order.completed_at is not None
            figures[_day(order.completed_at)][1] += 1
            figures[_day(order.completed_at)][3] += order.total_cents
        for event in order.events:
            if event.to_status == "cancelled":
                figures[_day(event.at)][2] += 1
            moves_owed = (event.from_billing in OUTSTANDING) != (event.to_billing in OUTSTANDING)
            if event.from_billing is not None and event.to_billing is not None and moves_owed:
                billing_days.add(_day(event.at))
        for states, column in ((ISSUED, 4), (PAID_ONLY, 5)):
            moves = [e.at for e in order.events if e.to_billing in states]
            if moves:
                figures[_day(min(moves))][column] += order.total_cents
    rows = []
    for day in sorted(set(figures) | billing_days):
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=PARIS)
        owed = sum(order.total_cents for order in orders if _billing_at(order, end) in OUTSTANDING)
        counts = figures.get(day, [0] * 6)
        rows.append((day, *counts, owed))
    return rows


PAID_ONLY = ("paid",)


def _billing_at(order: Order, moment: datetime) -> str:
    state = "unbilled"
    for event in sorted(order.events, key=lambda e: e.at):
        if event.to_billing is not None and event.at < moment:
            state = event.to_billing
    return state


def expected_months(session: Session) -> list[tuple[object, ...]]:
    found: dict[tuple[date, str], list[Any]] = {}
    for order in _orders(session):
        if order.status != OrderStatus.DONE:
            continue
        assert order.completed_at is not None
        month = _day(order.completed_at).replace(day=1)
        for line in order.lines:
            entry = found.setdefault(
                (month, line.service_code), [line.label, line.unit, set(), 0, 0]
            )
            entry[2].add(order.id)
            entry[3] += line.quantity_milli
            entry[4] += line.amount_cents
    units = {"hour": "heure", "unit": "unité", "flat": "forfait"}
    return [
        (month, code, label, units[unit], len(ids), milli / 1000, cents)
        for (month, code), (label, unit, ids, milli, cents) in sorted(found.items())
    ]


def expected_team(session: Session) -> list[tuple[object, ...]]:
    found: dict[tuple[date, str], list[int]] = defaultdict(lambda: [0, 0])
    for order in _orders(session):
        if order.status != OrderStatus.DONE:
            continue
        assert order.completed_at is not None and order.provider is not None
        day = _day(order.completed_at)
        monday = day - timedelta(days=day.weekday())
        entry = found[(monday, order.provider.name)]
        entry[0] += 1
        entry[1] += sum(
            line.quantity_milli for line in order.lines if line.unit == ServiceUnit.HOUR
        )
    return [
        (
            f"{monday.isocalendar().year}-S{monday.isocalendar().week:02d}",
            monday,
            name,
            n,
            milli / 1000,
        )
        for (monday, name), (n, milli) in sorted(found.items())
    ]


def test_tabs_come_in_the_order_the_sheet_shows_them(ledger: Session) -> None:
    assert [table.name for table in summary_tables(ledger)] == ["Jour", "Mois", "Équipe"]


def test_every_row_has_one_cell_per_column_of_its_kind(ledger: Session) -> None:
    kinds = {"date": date, "int": int, "money": int, "number": float, "text": str}
    for table in summary_tables(ledger):
        assert table.rows
        for row in table.rows:
            assert len(row) == len(table.columns)
            for cell, column in zip(row, table.columns, strict=True):
                assert type(cell) is kinds[column.kind], (table.name, column.title, cell)


def test_days_equal_the_ledger_replayed_order_by_order(ledger: Session) -> None:
    assert list(_by_name(summary_tables(ledger))["Jour"].rows) == expected_days(ledger)


def test_a_day_is_a_paris_day_across_both_dst_changes(ledger: Session) -> None:
    days = {row[0]: row for row in _by_name(summary_tables(ledger))["Jour"].rows}
    # Taken at 23:30 and at 22:00 on the 28th/31st, done 00:30 on the 29th (Paris).
    assert days[date(2026, 3, 28)][1] == 1
    assert days[date(2026, 3, 29)][2] == 2
    # Done at 23:30 CET on 25 October (22:30 UTC), not on the 26th.
    assert days[date(2026, 10, 25)][2] == 1
    assert date(2026, 10, 26) in days and days[date(2026, 10, 26)][2] == 0


def test_what_is_owed_at_each_days_end_follows_payments_and_voids(ledger: Session) -> None:
    owed: dict[object, Any] = {
        row[0]: row[-1] for row in _by_name(summary_tables(ledger))["Jour"].rows
    }
    keys = 800
    cleaning = 2800 * 5 // 2 + 300
    # Invoiced 00:45 on the 29th, then the cleaning invoiced at 00:20 on the 30th.
    assert owed[date(2026, 3, 29)] == keys
    assert owed[date(2026, 3, 30)] == keys + cleaning
    # Paid on 2 April; the order invoiced at 23:59 on 1 April is void at 00:01 on the 2nd.
    assert owed[date(2026, 4, 1)] - owed[date(2026, 3, 31)] == keys


def test_months_equal_done_lines_per_service(ledger: Session) -> None:
    rows = _by_name(summary_tables(ledger))["Mois"].rows
    assert list(rows) == expected_months(ledger)
    april_cleaning = [row for row in rows if row[:2] == (date(2026, 4, 1), "CLEANING")]
    assert april_cleaning == [
        (date(2026, 4, 1), "CLEANING", "Ménage à domicile", "heure", 1, 3.0, 8400)
    ]


def test_team_weeks_equal_missions_and_hours_per_provider(ledger: Session) -> None:
    rows = _by_name(summary_tables(ledger))["Équipe"].rows
    assert list(rows) == expected_team(ledger)
    assert rows[0] == ("2026-S01", date(2025, 12, 29), "Paul Provider", 1, 1.0)
    weeks = {(row[1], row[2]): row for row in rows}
    # Sunday 23:30 and Monday 00:40 (CEST) fall in two ISO weeks.
    assert weeks[(date(2026, 3, 23), "Paul Provider")][3:] == (2, 2.5)
    assert weeks[(date(2026, 3, 30), "Olga Provider")][3:] == (1, 1.5)


def test_an_empty_ledger_gives_tabs_without_rows(app: Flask) -> None:
    with app.app_context():
        tables = summary_tables(get_session())
    assert [(table.name, table.rows) for table in tables] == [
        ("Jour", ()),
        ("Mois", ()),
        ("Équipe", ()),
    ]


@pytest.mark.parametrize(
    "zone_name", ["Europe/Paris", "America/St_Johns", "Australia/Lord_Howe", "Asia/Kathmandu"]
)
def test_sql_calendar_matches_python_in_zones_with_odd_offsets(
    app: Flask, users: Users, zone_name: str
) -> None:
    """Half-hour DST (Lord Howe), -3:30 with DST (St John's), +5:45: every bucket agrees."""
    zone = ZoneInfo(zone_name)
    rng = random.Random(zone_name)
    start = datetime(2019, 1, 1, tzinfo=UTC)
    moments = [start + timedelta(seconds=rng.randrange(8 * 366 * 86400)) for _ in range(400)]
    # Every second either side of each DST change of the span, too.
    periods = offset_periods(zone, start, start + timedelta(days=8 * 366))
    for period in periods[1:]:
        assert period.since is not None
        moments += [period.since - timedelta(seconds=1), period.since]
    with app.app_context():
        session = get_session()
        calendar = BusinessCalendar(session.get_bind().dialect.name, zone, periods)
        moments_table = sa.Table(
            "report_moments", sa.MetaData(), sa.Column("at", UTCDateTime), prefixes=["TEMPORARY"]
        )
        connection = session.connection()
        moments_table.create(connection)
        connection.execute(sa.insert(moments_table), [{"at": moment} for moment in moments])
        at_column = moments_table.c.at
        stmt = sa.select(
            at_column, calendar.day(at_column), calendar.month(at_column), calendar.week(at_column)
        )
        for at, day, month, week in session.execute(stmt):
            local = at.astimezone(zone).date()
            assert (day, month, week) == (
                local,
                local.replace(day=1),
                local - timedelta(days=local.weekday()),
            ), at
