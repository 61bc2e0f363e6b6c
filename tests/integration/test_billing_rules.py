"""An order is billed only when its customer has an e-mail to receive the invoice."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from hub.db import get_session, write_transaction
from hub.errors import InvalidInput
from hub.ledger.actor import Actor
from hub.ledger.billing import apply_billing_news
from hub.ledger.customers import CustomerInput, create_customer
from hub.ledger.order_access import get_order
from hub.ledger.orders import OrderInput, create_order
from hub.models import OrderEvent, OutboxRow
from tests.conftest import Users

STRIPE = Actor.system("stripe")


def _order(session: Session, users: Users, email: str | None) -> str:
    data = CustomerInput.parse({"name": "Jeanne Martin", "email": email, "address": "3 rue X"})
    with write_transaction(session):
        customer = create_customer(session, data)
        order = create_order(
            session,
            Actor.of(users.concierge),
            OrderInput.parse({"customer_id": customer.id, "lines": [{"service_code": "KEYS"}]}),
        )
        assert order.ref is not None
        return order.ref


def _rows(session: Session, ref: str) -> tuple[int, int]:
    order = get_order(session, ref)
    events = session.scalar(
        sa.select(sa.func.count()).select_from(OrderEvent).where(OrderEvent.order_id == order.id)
    )
    outbox = session.scalar(
        sa.select(sa.func.count()).select_from(OutboxRow).where(OutboxRow.aggregate_ref == ref)
    )
    return events or 0, outbox or 0


@pytest.mark.parametrize("target", ["pending", "invoiced"])
def test_an_order_of_a_customer_without_e_mail_cannot_start_billing(
    app: Flask, users: Users, target: str
) -> None:
    with app.app_context():
        session = get_session()
        ref = _order(session, users, email=None)
        before = _rows(session, ref)
        with pytest.raises(InvalidInput) as info, write_transaction(session):
            apply_billing_news(session, STRIPE, ref, target)
        assert "Jeanne Martin" in str(info.value)
        assert "Add an e-mail" in str(info.value)
        assert get_order(session, ref).billing_status == "unbilled"
        assert _rows(session, ref) == before


def test_an_order_of_a_customer_with_an_e_mail_starts_billing(app: Flask, users: Users) -> None:
    with app.app_context():
        session = get_session()
        ref = _order(session, users, email="jeanne@example.com")
        with write_transaction(session):
            assert apply_billing_news(session, STRIPE, ref, "pending")
        assert get_order(session, ref).billing_status == "pending"


def test_other_billing_news_is_unaffected_by_a_missing_e_mail(app: Flask, users: Users) -> None:
    with app.app_context():
        session = get_session()
        ref = _order(session, users, email=None)
        with write_transaction(session):
            assert apply_billing_news(session, STRIPE, ref, "void")
        assert get_order(session, ref).billing_status == "void"
