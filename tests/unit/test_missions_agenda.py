"""The provider's missions page reads in order: today and the next days, later ones on asking,
then what was left undone on earlier days."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hub.ledger.order_rows import CustomerRow, OrderRow
from hub.models import BillingStatus, OrderStatus
from hub.web.missions import NEXT_DAYS, Day, agenda

TODAY = date(2026, 12, 1)


def _mission(n: int) -> OrderRow:
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    return OrderRow(
        id=n,
        ref=f"C-2026-{n:06d}",
        status=OrderStatus.SCHEDULED,
        billing_status=BillingStatus.UNBILLED,
        customer=CustomerRow(id=1, name="Ada", email=None, phone=None, address=None),
        provider=None,
        scheduled_at=now,
        completed_at=None,
        notes=None,
        currency="eur",
        total_cents=0,
        vat_cents=0,
        version=1,
        created_at=now,
        updated_at=now,
    )


def _days() -> list[Day]:
    return [
        Day("overdue", None, [_mission(1)]),
        Day("today", TODAY, []),
        Day("upcoming", date(2026, 12, 1 + NEXT_DAYS), [_mission(2)]),
        Day("upcoming", date(2026, 12, 2 + NEXT_DAYS), [_mission(3), _mission(4)]),
    ]


def test_today_and_the_next_days_come_first_and_later_ones_are_counted() -> None:
    plan = agenda(_days(), show_all=False)

    assert [(d.kind, d.on) for d in plan.days] == [
        ("today", TODAY),
        ("upcoming", date(2026, 12, 1 + NEXT_DAYS)),
    ]
    assert plan.later == 2
    assert plan.overdue is not None and [m.id for m in plan.overdue.missions] == [1]


def test_asking_for_everything_shows_every_day() -> None:
    plan = agenda(_days(), show_all=True)

    assert [d.on for d in plan.days] == [
        TODAY,
        date(2026, 12, 1 + NEXT_DAYS),
        date(2026, 12, 2 + NEXT_DAYS),
    ]
    assert plan.later == 0


def test_without_undone_missions_from_earlier_days_there_is_no_such_section() -> None:
    plan = agenda(_days()[1:], show_all=False)

    assert plan.overdue is None
