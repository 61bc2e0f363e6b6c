"""Orders: create, list (keyset pages), read, edit, and move through fulfilment.

Concierges and admins do everything; a provider lists and reads only their own missions
(another's is a 404, so references cannot be probed) and may only complete them.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from hub.api.auth import actor, require_staff
from hub.api.blueprint import bp
from hub.api.bodies import order_body, order_response
from hub.api.idempotent import create_once
from hub.api.params import (
    body_id,
    expected_version,
    instant,
    json_body,
    order_ref,
    query_date,
    query_id,
    query_instant,
    query_limit,
    query_text,
)
from hub.db import get_session, write_transaction
from hub.ledger.orders import (
    OrderInput,
    cancel_order,
    complete_order,
    create_order,
    get_order,
    get_visible_order,
    schedule_order,
    update_order,
)
from hub.ledger.queries import MAX_LIMIT, list_orders
from hub.models import Order
from hub.money import format_cents_plain, format_quantity

#: Fields a PATCH may change; the others keep their current values.
EDITABLE_FIELDS = ("customer_id", "lines", "scheduled_at", "provider_id", "notes")


@bp.post("/orders")
def new_order() -> ResponseReturnValue:
    current = require_staff()
    data = OrderInput.parse(json_body())

    def make(session: Session) -> tuple[dict[str, Any], str]:
        order = create_order(session, current, data)
        return order_body(order), url_for("api.order", ref=order.ref)

    return create_once(make)


@bp.get("/orders")
def orders() -> ResponseReturnValue:
    # Every value is checked (here or by list_orders) so that a bad one is a 422 naming it.
    rows, next_cursor = list_orders(
        get_session(),
        actor(),
        status=request.args.get("status"),
        billing_status=request.args.get("billing_status"),
        updated_since=query_instant("updated_since"),
        provider_id=query_id("provider_id"),
        customer_id=query_id("customer_id"),
        q=query_text("q"),
        day_from=query_date("scheduled_from"),
        day_to=query_date("scheduled_to"),
        cursor=request.args.get("cursor", "").strip() or None,
        limit=query_limit(maximum=MAX_LIMIT),
        with_lines=True,
    )
    return jsonify(data=[order_body(o) for o in rows], next_cursor=next_cursor)


@bp.get("/orders/<ref>")
def order(ref: str) -> ResponseReturnValue:
    return order_response(get_visible_order(get_session(), actor(), order_ref(ref)))


def _as_input(order: Order) -> dict[str, Any]:
    """Picture an order as the body that would create it, for a PATCH to amend."""
    return {
        "customer_id": order.customer_id,
        "lines": [
            {
                "service_code": line.service_code,
                "quantity": format_quantity(line.quantity_milli, "en"),
                "unit_price": format_cents_plain(line.unit_price_cents),
            }
            for line in order.lines
        ],
        "scheduled_at": order.scheduled_at.isoformat() if order.scheduled_at else None,
        "provider_id": order.provider_id,
        "notes": order.notes,
    }


@bp.patch("/orders/<ref>")
def edit_order(ref: str) -> ResponseReturnValue:
    current = require_staff()
    body = json_body()
    version = expected_version(body, required=True)
    session = get_session()
    with write_transaction(session):
        # Read inside the write transaction, so the merge starts from the latest state.
        existing = get_order(session, order_ref(ref))
        changes = {key: body[key] for key in EDITABLE_FIELDS if key in body}
        data = OrderInput.parse({**_as_input(existing), **changes})
        updated = update_order(
            session, current, existing.ref or ref, data, expected_version=version
        )
        return order_response(updated)


@bp.post("/orders/<ref>/schedule")
def schedule(ref: str) -> ResponseReturnValue:
    current = require_staff()
    body = json_body()
    version = expected_version(body)
    when = instant(body.get("scheduled_at"), "scheduled_at", first_year=2000, last_year=2100)
    provider_id = body_id(body.get("provider_id"), "provider_id")
    session = get_session()
    with write_transaction(session):
        scheduled = schedule_order(
            session, current, order_ref(ref), when, provider_id, expected_version=version
        )
        return order_response(scheduled)


@bp.post("/orders/<ref>/complete")
def complete(ref: str) -> ResponseReturnValue:
    current = actor()
    version = expected_version(json_body())
    session = get_session()
    with write_transaction(session):
        done = complete_order(session, current, order_ref(ref), expected_version=version)
        return order_response(done)


@bp.post("/orders/<ref>/cancel")
def cancel(ref: str) -> ResponseReturnValue:
    current = require_staff()
    body = json_body()
    version = expected_version(body)
    session = get_session()
    with write_transaction(session):
        cancelled = cancel_order(
            session, current, order_ref(ref), body.get("reason"), expected_version=version
        )
        return order_response(cancelled)
