"""Billing periods in business time, and invoice lines that read well with fractional hours."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from hub.errors import InvalidInput
from hub.ledger.invoice_periods import period_bounds, previous_period
from hub.models import BillingMode

PARIS = ZoneInfo("Europe/Paris")


def test_a_month_runs_from_local_midnight_to_local_midnight() -> None:
    start, end = period_bounds(BillingMode.MONTHLY, "2026-11", PARIS)
    assert start == datetime(2026, 10, 31, 23, 0, tzinfo=UTC)
    assert end == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    _start, december_end = period_bounds(BillingMode.MONTHLY, "2026-12", PARIS)
    assert december_end == datetime(2026, 12, 31, 23, 0, tzinfo=UTC)


def test_an_iso_week_starts_on_its_monday() -> None:
    start, end = period_bounds(BillingMode.WEEKLY, "2026-W48", PARIS)
    assert start == datetime(2026, 11, 22, 23, 0, tzinfo=UTC)  # Monday 23 November, local
    assert end == datetime(2026, 11, 29, 23, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("mode", "period"),
    [
        (BillingMode.MONTHLY, "2026-13"),
        (BillingMode.MONTHLY, "2026-W48"),
        (BillingMode.WEEKLY, "2026-11"),
        (BillingMode.WEEKLY, "2026-W54"),
        (BillingMode.PER_ORDER, "2026-11"),
    ],
)
def test_a_period_of_the_wrong_kind_is_refused_with_the_form_to_use(
    mode: BillingMode, period: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        period_bounds(mode, period, PARIS)
    assert refused.value.field in ("period", "mode")


def test_the_previous_period_is_the_last_complete_one_in_business_time() -> None:
    # 1 December 00:30 in Paris is still 30 November in UTC.
    moment = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    assert previous_period(BillingMode.MONTHLY, moment, PARIS) == "2026-11"
    assert previous_period(BillingMode.MONTHLY, moment, ZoneInfo("UTC")) == "2026-10"
    assert previous_period(BillingMode.MONTHLY, datetime(2027, 1, 5, tzinfo=UTC), PARIS) == (
        "2026-12"
    )
    assert previous_period(BillingMode.WEEKLY, moment, PARIS) == "2026-W48"
    assert previous_period(BillingMode.WEEKLY, datetime(2027, 1, 4, 12, tzinfo=UTC), PARIS) == (
        "2026-W53"
    )
