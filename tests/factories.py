"""Customers and orders recorded through the ledger, as a concierge would, for tests to build on."""

from __future__ import annotations

from typing import Any

from flask import Flask

from hub.db import get_session, write_transaction
from hub.ledger.actor import Actor
from hub.ledger.customers import CustomerInput, create_customer
from hub.ledger.fulfilment import cancel_order, complete_order
from hub.ledger.orders import OrderInput, create_order
from hub.models import User

CUSTOMER: dict[str, Any] = {
    "name": "Jeanne Martin",
    "email": "j@example.com",
    "address": "3 rue Oberkampf",
}
LINES: list[dict[str, Any]] = [{"service_code": "KEYS"}]


def make_customer(app: Flask, **fields: Any) -> int:
    """Record a customer (fields override CUSTOMER) and return its id."""
    data = CustomerInput.parse({**CUSTOMER, **fields})
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            return create_customer(session, data).id


def make_order(
    app: Flask,
    customer_id: int,
    *,
    by: User,
    lines: list[dict[str, Any]] | None = None,
    status: str = "",
    **fields: Any,
) -> str:
    """Record an order of `lines` (LINES by default) by `by` and return its reference.

    An order given a provider and a time is scheduled; `status` "done" or "cancelled" then
    moves it on through the ledger, as the pages would.
    """
    data = OrderInput.parse(
        {"customer_id": customer_id, "lines": LINES if lines is None else lines, **fields}
    )
    actor = Actor.of(by)
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            ref = create_order(session, actor, data).ref
            assert ref is not None
            if status == "done":
                complete_order(session, actor, ref)
            elif status == "cancelled":
                cancel_order(session, actor, ref)
            elif status:
                raise ValueError(f"make_order cannot reach status {status!r}")
        return ref
