"""Billing periods: calendar months ("2026-11") and ISO weeks ("2026-W48"), in business time."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from hub.errors import N_, InvalidInput
from hub.models import BillingMode

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def period_bounds(mode: BillingMode, period: str, zone: tzinfo) -> tuple[datetime, datetime]:
    """Return a period's start (inclusive) and end (exclusive) in UTC, midnight to midnight local.

    Refuse a period that is not of the mode's kind, with the form to use.
    """
    first, after = _days(mode, period.strip())
    return _midnight(first, zone), _midnight(after, zone)


def _days(mode: BillingMode, period: str) -> tuple[date, date]:
    try:
        if mode == BillingMode.MONTHLY and (match := _MONTH.match(period)):
            year, month = int(match[1]), int(match[2])
            first = date(year, month, 1)
            return first, date(year + month // 12, month % 12 + 1, 1)
        if mode == BillingMode.WEEKLY and (match := _WEEK.match(period)):
            first = date.fromisocalendar(int(match[1]), int(match[2]), 1)
            return first, first + timedelta(days=7)
    except ValueError:
        pass
    if mode == BillingMode.WEEKLY:
        raise InvalidInput(
            N_("“%(period)s” is not a week; write it like 2026-W48."), field="period", period=period
        )
    if mode == BillingMode.MONTHLY:
        raise InvalidInput(
            N_("“%(period)s” is not a month; write it like 2026-11."), field="period", period=period
        )
    raise InvalidInput(
        N_("Only monthly and weekly billing run by period."), field="mode", period=period
    )


def _midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def period_of(mode: BillingMode, moment: datetime, zone: tzinfo) -> str:
    """Return the month or ISO week a moment falls in, in the business time zone."""
    local = moment.astimezone(zone)
    if mode == BillingMode.WEEKLY:
        year, week, _day = local.isocalendar()
        return f"{year}-W{week:02d}"
    return local.strftime("%Y-%m")


def previous_period(mode: BillingMode, moment: datetime, zone: tzinfo) -> str:
    """Return the last complete month or ISO week before a moment, in business time."""
    local = moment.astimezone(zone).date()
    if mode == BillingMode.WEEKLY:
        return period_of(mode, datetime.combine(local - timedelta(days=7), time(12), zone), zone)
    last_of_previous = local.replace(day=1) - timedelta(days=1)
    return f"{last_of_previous.year}-{last_of_previous.month:02d}"
