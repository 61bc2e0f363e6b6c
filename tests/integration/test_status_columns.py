"""Status columns are typed by their enums: the database refuses what the enum does not name."""

from __future__ import annotations

import enum

import pytest
import sqlalchemy as sa
from flask import Flask

from hub.db import get_session, write_transaction
from hub.models import BillingStatus, Order, OrderStatus, OutboxRow, OutboxStatus, Role, User
from tests.conftest import Users, api_headers

ENUM_COLUMNS = [
    (Order.__table__.c.status, OrderStatus),
    (Order.__table__.c.billing_status, BillingStatus),
    (User.__table__.c.role, Role),
    (OutboxRow.__table__.c.status, OutboxStatus),
]


@pytest.mark.parametrize(("column", "members"), ENUM_COLUMNS, ids=lambda c: str(c))
def test_each_check_constraint_is_made_from_its_enum(
    column: sa.Column[str], members: type[enum.StrEnum]
) -> None:
    assert isinstance(column.type, sa.Enum)
    assert column.type.enums == [member.value for member in members]
    assert column.type.native_enum is False


def test_the_orm_reads_enum_members_and_the_database_refuses_unknown_values(
    app: Flask, users: Users
) -> None:
    client = app.test_client()
    headers = api_headers(app, users.concierge)
    customer = client.post(
        "/api/v1/customers", json={"name": "Ada", "email": "ada@example.com"}, headers=headers
    )
    made = client.post(
        "/api/v1/orders",
        json={
            "customer_id": customer.get_json()["id"],
            "lines": [{"service_code": "PARCEL", "quantity": 1}],
        },
        headers=headers,
    )
    assert made.status_code == 201, made.get_json()
    with app.app_context():
        session = get_session()
        stored = session.scalars(sa.select(Order).where(Order.ref == made.get_json()["ref"])).one()
        assert stored.status is OrderStatus.NEW
        assert stored.billing_status is BillingStatus.UNBILLED
        raw = session.execute(
            sa.text("SELECT status, billing_status FROM orders WHERE id = :id"), {"id": stored.id}
        ).one()
        assert tuple(raw) == ("new", "unbilled")
        session.rollback()
        with pytest.raises(sa.exc.IntegrityError), write_transaction(session):
            session.execute(
                sa.text("UPDATE orders SET status = 'shipped' WHERE id = :id"), {"id": stored.id}
            )
