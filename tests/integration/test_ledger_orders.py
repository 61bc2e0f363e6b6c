"""Orders through the ledger: history and outbox rows commit with the change, or not at all."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from hub.db import business_zone, get_db, get_session, write_transaction
from hub.errors import InvalidInput, StaleEdit, TransitionError
from hub.ledger.actor import Actor
from hub.ledger.customers import CustomerInput, create_customer
from hub.ledger.fulfilment import cancel_order, complete_order, schedule_order
from hub.ledger.order_access import get_order
from hub.ledger.orders import OrderInput, create_order, order_reference, update_order
from hub.models import Order, OrderEvent, OutboxRow
from tests import conftest
from tests.conftest import Users, make_app

WHEN = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def _customer(session: Session, email: str | None = "jeanne@example.com") -> int:
    data = CustomerInput.parse({"name": "Jeanne Martin", "email": email, "address": "3 rue X"})
    with write_transaction(session):
        return create_customer(session, data).id


def _order(session: Session, users: Users, **extra: Any) -> str:
    customer_id = _customer(session)
    data = OrderInput.parse(
        {
            "customer_id": customer_id,
            "lines": [
                {"service_code": "ASSEMBLY", "quantity": "1,5"},
                {"service_code": "PARCEL", "quantity": 2, "unit_price": "2,50"},
            ],
            **extra,
        }
    )
    with write_transaction(session):
        order = create_order(session, Actor.of(users.concierge), data)
        assert order.ref is not None
        return order.ref


def test_new_order_has_totals_history_and_outbox_rows(app: Flask, users: Users) -> None:
    with app.app_context():
        session = get_session()
        ref = _order(session, users)
        order = get_order(session, ref)
        assert ref == f"C-{order.created_at.year}-{order.id:06d}"
        # 1.5 h x 35,00 = 52,50 at 20 %; 2 x 2,50 = 5,00 at 20 %.
        assert order.total_cents == 5750
        assert order.vat_cents == 875 + 83
        assert [e.kind for e in order.events] == ["created"]
        rows = session.scalars(
            sa.select(OutboxRow).where(OutboxRow.aggregate_ref == ref).order_by(OutboxRow.id)
        ).all()
        # Stripe takes the invoices the ledger decides, not raw order events.
        assert sorted((r.topic, r.connector) for r in rows) == [("order.created", "sheets")]
        assert rows[0].payload["order"]["total_cents"] == 5750


def test_order_moves_through_fulfilment_and_records_each_step(app: Flask, users: Users) -> None:
    with app.app_context():
        session = get_session()
        ref = _order(session, users)
        with write_transaction(session):
            schedule_order(session, Actor.of(users.concierge), ref, WHEN, users.provider.id)
        with write_transaction(session):
            complete_order(session, Actor.of(users.provider), ref)
        order = get_order(session, ref)
        assert order.status == "done"
        assert [(e.kind, e.from_status, e.to_status) for e in order.events] == [
            ("created", None, "new"),
            ("scheduled", "new", "scheduled"),
            ("done", "scheduled", "done"),
        ]
        topics = session.scalars(
            sa.select(OutboxRow.topic).where(OutboxRow.connector == "sheets").order_by(OutboxRow.id)
        ).all()
        assert topics == ["order.created", "order.scheduled", "order.done"]


def test_forbidden_transition_changes_nothing(app: Flask, users: Users) -> None:
    with app.app_context():
        session = get_session()
        ref = _order(session, users)
        before = session.scalar(sa.select(sa.func.count()).select_from(OutboxRow))
        with pytest.raises(TransitionError), write_transaction(session):
            complete_order(session, Actor.of(users.concierge), ref)
        assert get_order(session, ref).status == "new"
        assert session.scalar(sa.select(sa.func.count()).select_from(OutboxRow)) == before
        assert session.scalar(sa.select(sa.func.count()).select_from(OrderEvent)) == 1


def test_provider_cannot_complete_someone_elses_mission(app: Flask, users: Users) -> None:
    with app.app_context():
        session = get_session()
        ref = _order(session, users, scheduled_at=WHEN.isoformat(), provider_id=users.provider.id)
        with pytest.raises(Exception) as info, write_transaction(session):
            complete_order(session, Actor.of(users.other_provider), ref)
        assert info.value.__class__.__name__ == "NotFound"
        assert get_order(session, ref).status == "scheduled"


def test_stale_edit_is_refused_and_the_first_edit_stays(app: Flask, users: Users) -> None:
    with app.app_context():
        session = get_session()
        ref = _order(session, users)
        order = get_order(session, ref)
        seen_version = order.version
        edit = OrderInput.parse(
            {"customer_id": order.customer_id, "lines": [{"service_code": "KEYS"}], "notes": "A"}
        )
        with write_transaction(session):
            update_order(
                session, Actor.of(users.concierge), ref, edit, expected_version=seen_version
            )
        late = OrderInput.parse(
            {"customer_id": order.customer_id, "lines": [{"service_code": "PARCEL"}], "notes": "B"}
        )
        with pytest.raises(StaleEdit), write_transaction(session):
            update_order(
                session, Actor.of(users.concierge), ref, late, expected_version=seen_version
            )
        assert get_order(session, ref).notes == "A"


def test_cancelling_a_done_order_is_allowed_once(app: Flask, users: Users) -> None:
    with app.app_context():
        session = get_session()
        ref = _order(session, users, scheduled_at=WHEN.isoformat(), provider_id=users.provider.id)
        actor = Actor.of(users.admin)
        with write_transaction(session):
            complete_order(session, actor, ref)
        with write_transaction(session):
            cancel_order(session, actor, ref, "customer moved")
        with pytest.raises(TransitionError), write_transaction(session):
            cancel_order(session, actor, ref)
        order = get_order(session, ref)
        assert order.status == "cancelled"
        assert order.events[-1].changes == {"reason": "customer moved"}


def test_bad_line_input_names_the_field(app: Flask, users: Users) -> None:
    with app.app_context():
        session = get_session()
        customer_id = _customer(session)
        with pytest.raises(InvalidInput) as info:
            OrderInput.parse(
                {"customer_id": customer_id, "lines": [{"service_code": "KEYS", "quantity": "-1"}]}
            )
        assert info.value.field == "lines.0.quantity"
        data = OrderInput.parse({"customer_id": customer_id, "lines": [{"service_code": "NOPE"}]})
        with pytest.raises(InvalidInput) as info, write_transaction(session):
            create_order(session, Actor.of(users.concierge), data)
        assert info.value.field == "lines.0.service_code"
        assert session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0


def test_a_scheduled_order_cannot_lose_its_time_or_provider(app: Flask, users: Users) -> None:
    with app.app_context():
        session = get_session()
        ref = _order(session, users, scheduled_at=WHEN.isoformat(), provider_id=users.provider.id)
        order = get_order(session, ref)
        for missing in ({"provider_id": users.provider.id}, {"scheduled_at": WHEN.isoformat()}):
            edit = OrderInput.parse(
                {"customer_id": order.customer_id, "lines": [{"service_code": "KEYS"}], **missing}
            )
            with pytest.raises(InvalidInput), write_transaction(session):
                update_order(session, Actor.of(users.concierge), ref, edit, expected_version=None)
        order = get_order(session, ref)
        assert order.scheduled_at == WHEN
        assert order.provider_id == users.provider.id


def test_the_reference_year_is_the_business_year_not_the_utc_year() -> None:
    # 2027-01-01T00:30 in Paris is still 31 December in UTC.
    created = datetime(2027, 1, 1, 0, 30, tzinfo=ZoneInfo("Europe/Paris"))
    assert created.astimezone(UTC).year == 2026
    assert order_reference(42, created.astimezone(UTC), ZoneInfo("Europe/Paris")) == "C-2027-000042"
    assert order_reference(42, created.astimezone(UTC), UTC) == "C-2026-000042"


def test_orders_are_named_in_the_configured_time_zone(
    database: conftest.TestDatabase, tmp_path: Path, app: Flask, users: Users
) -> None:
    tokyo = make_app(database, tmp_path / "tokyo", hub={"timezone": "Asia/Tokyo"})
    try:
        with tokyo.app_context():
            session = get_session()
            assert business_zone(session) == ZoneInfo("Asia/Tokyo")
            ref = _order(session, users)
            order = get_order(session, ref)
            tokyo_year = order.created_at.astimezone(ZoneInfo("Asia/Tokyo")).year
            assert ref == f"C-{tokyo_year}-{order.id:06d}"
    finally:
        get_db(tokyo).dispose()
