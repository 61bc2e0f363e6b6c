"""The demo's history is spread over the weeks it covers, not stamped with the seeding moment."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import Flask

from hub.accounts import passwords
from hub.db import business_zone, get_session
from hub.demo import seed_demo
from hub.ledger.board_view import read_board, today
from hub.models import Order, OrderEvent, OrderStatus


def test_demo_completions_and_history_are_spread_over_the_weeks(app: Flask) -> None:
    with app.app_context():
        session = get_session()
        before = datetime.now(UTC)
        seed_demo(session, lambda _: None, passwords=passwords(app))
        after = datetime.now(UTC)
        zone = business_zone(session)
        orders = list(session.scalars(sa.select(Order)))
        events = list(session.scalars(sa.select(OrderEvent).order_by(OrderEvent.id)))

        done = [o for o in orders if o.completed_at is not None]
        done_days = {o.completed_at.astimezone(zone).date() for o in done if o.completed_at}
        assert len(done) > 60
        assert len(done_days) >= 12, sorted(done_days)

        # Nothing happens in the future, and each order's story runs forward in time.
        for order in orders:
            assert order.created_at <= order.updated_at <= after
            assert order.created_at <= before
            if order.completed_at is not None:
                assert order.scheduled_at is not None
                assert order.scheduled_at <= order.completed_at <= order.updated_at
                assert order.completed_at - order.scheduled_at < timedelta(hours=12)
        stories: dict[int, list[OrderEvent]] = {}
        for event in events:
            stories.setdefault(event.order_id, []).append(event)
        by_id = {o.id: o for o in orders}
        for order_id, story in stories.items():
            times = [e.at for e in story]
            assert times == sorted(times), order_id
            assert times[0] == by_id[order_id].created_at
            assert times[-1] == by_id[order_id].updated_at
            assert times[-1] <= after
            for event in story:
                if event.kind == "status" and event.to_status == OrderStatus.DONE.value:
                    assert event.at == by_id[order_id].completed_at
        # No pile of changes all stamped with the moment of seeding either.
        assert Counter(e.at for e in events).most_common(1)[0][1] <= 3
        created_days = {o.created_at.astimezone(zone).date() for o in orders}
        assert len(created_days) >= 15

        # The first board no longer shows every completion as done today.
        board = read_board(session, today(session))
        assert board.counts["done"] <= 8
