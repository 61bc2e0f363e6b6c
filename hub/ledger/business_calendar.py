"""The business's day, month and ISO week of a UTC timestamp column, computed in SQL.

Timestamps are stored as naive UTC. PostgreSQL converts them with its own time zone
database (``timezone(zone, timezone('UTC', ts))``). SQLite has none, so the zone's UTC
offsets over the span of the data are read from Python's zoneinfo and written into the query
as a CASE of ``date()`` modifiers, newest period first (recent rows match the first branch).
Both give the same dates as ``ts.astimezone(zone).date()`` in Python, DST changes included.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.models import Order
from hub.sql import business_zone, utcnow

_STEP = timedelta(days=1)


@dataclass(frozen=True)
class OffsetPeriod:
    """From ``since`` (UTC; None: from the beginning) the zone is ``offset_seconds`` from UTC."""

    since: datetime | None
    offset_seconds: int


def _offset(zone: ZoneInfo, moment: datetime) -> int:
    offset = moment.astimezone(zone).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def _change_within(zone: ZoneInfo, start: datetime, end: datetime) -> datetime:
    """Return the first second of (start, end] at which the zone's offset differs from start's."""
    before = _offset(zone, start)
    low, high = start, end
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if _offset(zone, middle) == before:
            low = middle
        else:
            high = middle
    return high.replace(microsecond=0)


def offset_periods(zone: ZoneInfo, start: datetime, end: datetime) -> list[OffsetPeriod]:
    """List the zone's UTC offsets between two UTC moments, the first one open to the past.

    Zones change offset at most a few times a year and never twice within a day, so a daily
    walk with a bisection at each change finds every transition.
    """
    periods = [OffsetPeriod(None, _offset(zone, start))]
    moment = start
    while moment < end:
        following = min(moment + _STEP, end)
        if _offset(zone, following) != periods[-1].offset_seconds:
            change = _change_within(zone, moment, following)
            periods.append(OffsetPeriod(change, _offset(zone, change)))
        moment = following
    return periods


class BusinessCalendar:
    """Turn a UTC timestamp column into the business-zone date of its day, month or week."""

    def __init__(self, dialect: str, zone: ZoneInfo, periods: Sequence[OffsetPeriod]) -> None:
        self.dialect = dialect
        self.zone = zone
        self.periods = tuple(periods)

    def day(self, column: Any) -> sa.ColumnElement[date]:
        """The local calendar day."""
        if self.dialect == "postgresql":
            return sa.cast(self._pg_local(column), sa.Date)
        return sa.func.date(column, self._sqlite_shift(column), type_=sa.Date)

    def month(self, column: Any) -> sa.ColumnElement[date]:
        """The first day of the local month."""
        if self.dialect == "postgresql":
            return sa.cast(sa.func.date_trunc("month", self._pg_local(column)), sa.Date)
        return sa.func.date(column, self._sqlite_shift(column), "start of month", type_=sa.Date)

    def week(self, column: Any) -> sa.ColumnElement[date]:
        """The Monday that starts the local ISO week."""
        if self.dialect == "postgresql":
            return sa.cast(sa.func.date_trunc("week", self._pg_local(column)), sa.Date)
        # 'weekday 0' moves on to the Sunday ending the ISO week (or stays on it).
        return sa.func.date(
            column, self._sqlite_shift(column), "weekday 0", "-6 days", type_=sa.Date
        )

    def _pg_local(self, column: Any) -> sa.ColumnElement[Any]:
        # The zone is inlined, not bound: a GROUP BY must repeat the select's expression exactly.
        zone = sa.literal(self.zone.key, literal_execute=True)
        return sa.func.timezone(zone, sa.func.timezone("UTC", column))

    def _sqlite_shift(self, column: Any) -> sa.ColumnElement[str]:
        def modifier(period: OffsetPeriod) -> sa.ColumnElement[str]:
            return sa.literal_column(f"'{period.offset_seconds:+d} seconds'", sa.String)

        *dated, first = reversed(self.periods)
        if not dated:
            return modifier(first)
        return sa.case(
            *((column >= period.since, modifier(period)) for period in dated),
            else_=modifier(first),
        )


def business_calendar(session: Session) -> BusinessCalendar:
    """Build the calendar for the orders in the ledger, in the business's time zone.

    The SQLite offsets cover the ledger's first order to its last change (or now): every
    timestamp the reports bucket (creation, completion, history) lies in that span, because
    each change stamps ``orders.updated_at`` and its history line with the same moment.
    """
    zone = business_zone(session)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return BusinessCalendar(dialect, zone, ())
    first, last = session.execute(
        sa.select(sa.func.min(Order.created_at), sa.func.max(Order.updated_at))
    ).one()
    now = utcnow()
    start = (first or now) - _STEP
    end = max(last or now, now) + _STEP
    return BusinessCalendar(dialect, zone, offset_periods(zone, start.astimezone(UTC), end))
