"""``hub demo clear`` removes the demo data, and only it, before the hub goes live."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from hub.ledger.actor import Actor
from hub.ledger.order_input import OrderInput
from hub.ledger.orders import create_order
from hub.models import (
    ApiToken,
    Customer,
    Order,
    OrderEvent,
    OrderLine,
    OutboxRow,
    OutboxStatus,
    Service,
    User,
)
from tests import conftest
from tests.integration.test_cli import PASSWORD, Hub, _make_hub, _ok


@pytest.fixture
def hub(database: conftest.TestDatabase, tmp_path: Path) -> Iterator[Hub]:
    """The console script on the emptied test database, with the demo and one real admin."""
    runner = _make_hub(database.url, tmp_path)
    conftest.empty_tables(runner.db)
    _ok(runner("init", "--demo"))
    _ok(
        runner(
            "user",
            "create",
            "owner@example.com",
            "--role",
            "admin",
            "--password-stdin",
            input=PASSWORD + "\n",
        )
    )
    yield runner
    runner.db.dispose()


def _counts(hub: Hub) -> dict[str, int]:
    models = (User, Customer, Order, OrderLine, OrderEvent, OutboxRow, Service, ApiToken)
    return {model.__name__: hub.count(model) for model in models}


def test_clearing_asks_first_then_removes_the_demo_and_keeps_the_rest(hub: Hub) -> None:
    _ok(hub("token", "create", "claire@conciergerie.example"))
    before = _counts(hub)
    assert before["Order"] == 150 and before["OutboxRow"] > 150

    declined = hub("demo", "clear", input="n\n")
    assert declined.exit_code == 1
    assert "Demo data: 6 account(s), 25 customer(s), 150 order(s)" in declined.output
    assert _counts(hub) == before

    output = _ok(hub("demo", "clear", input="y\n"))
    assert "Demo data cleared: 6 account(s), 25 customer(s), 150 order(s)" in output
    assert _counts(hub) == {
        "User": 1,
        "Customer": 0,
        "Order": 0,
        "OrderLine": 0,
        "OrderEvent": 0,
        "OutboxRow": 0,
        "Service": before["Service"],
        "ApiToken": 0,
    }
    with hub.session() as session:
        assert session.scalars(sa.select(User.email)).all() == ["owner@example.com"]


def test_a_database_without_demo_data_is_refused(hub: Hub) -> None:
    _ok(hub("demo", "clear", "--yes"))
    again = hub("demo", "clear", "--yes")
    assert again.exit_code == 1
    assert "There is no demo data in this database: nothing to clear." in again.output
    assert _counts(hub)["User"] == 1


def test_a_real_order_for_a_demo_customer_stops_the_clearing(hub: Hub) -> None:
    with hub.session() as session:
        owner = session.scalars(sa.select(User).where(User.email == "owner@example.com")).one()
        customer = session.scalars(sa.select(Customer).order_by(Customer.id).limit(1)).one()
        order = create_order(
            session,
            Actor.of(owner),
            OrderInput.parse(
                {"customer_id": customer.id, "lines": [{"service_code": "PARCEL", "quantity": "1"}]}
            ),
        )
        ref = order.ref
    before = _counts(hub)

    refused = hub("demo", "clear", "--yes")
    assert refused.exit_code == 1
    assert f"Order {ref} is not demo data but involves a demo customer" in refused.output
    assert _counts(hub) == before


def test_demo_changes_already_sent_to_stripe_stop_the_clearing(hub: Hub) -> None:
    with hub.session() as session, session.begin():
        row = session.scalars(
            sa.select(OutboxRow).where(OutboxRow.connector == "stripe").limit(1)
        ).one()
        row.status = OutboxStatus.DELIVERED
        ref = row.aggregate_ref
    before = _counts(hub)

    refused = hub("demo", "clear", "--yes")
    assert refused.exit_code == 1
    assert f"Demo data was already sent to Stripe ({ref})" in refused.output
    assert _counts(hub) == before
