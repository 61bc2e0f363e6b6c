"""Orders: create, list (keyset pages), read, edit, and move through fulfilment.

Concierges and admins do everything; a provider lists and reads only their own missions
(another's is a 404, so references cannot be probed) and may only complete them, from their
scheduled day on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import jsonify, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from hub.api.auth import actor, require_staff
from hub.api.blueprint import bp
from hub.api.bodies import order_body, order_detail_body, order_response
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
from hub.db import get_session
from hub.ledger.fulfilment import cancel_order, complete_order, reopen_order, schedule_order
from hub.ledger.order_access import get_visible_order
from hub.ledger.orders import patch_order, place_order
from hub.ledger.queries import MAX_LIMIT, list_orders
from hub.models import Order


@bp.post("/orders")
def new_order() -> ResponseReturnValue:
    current = require_staff()
    body = json_body()

    def make(session: Session) -> tuple[dict[str, Any], str]:
        order = place_order(session, current, body)
        return order_detail_body(session, order, current), url_for("api.order", ref=order.ref)

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
    current = actor()
    session = get_session()
    return order_response(session, get_visible_order(session, current, order_ref(ref)), current)


@bp.patch("/orders/<ref>")
def edit_order(ref: str) -> ResponseReturnValue:
    current = require_staff()
    body = json_body()
    version = expected_version(body, required=True)
    changes = {key: value for key, value in body.items() if key != "version"}
    session = get_session()
    updated = patch_order(session, current, order_ref(ref), changes, expected_version=version)
    return order_response(session, updated, current)


@bp.post("/orders/<ref>/schedule")
def schedule(ref: str) -> ResponseReturnValue:
    current = require_staff()
    body = json_body()
    version = expected_version(body)
    when = instant(body.get("scheduled_at"), "scheduled_at", first_year=2000, last_year=2100)
    provider_id = body_id(body.get("provider_id"), "provider_id")
    session = get_session()
    scheduled = schedule_order(
        session, current, order_ref(ref), when, provider_id, expected_version=version
    )
    return order_response(session, scheduled, current)


@bp.post("/orders/<ref>/complete")
def complete(ref: str) -> ResponseReturnValue:
    current = actor()
    version = expected_version(json_body())
    session = get_session()
    done = complete_order(session, current, order_ref(ref), expected_version=version)
    return order_response(session, done, current)


def _move_with_reason(ref: str, move: Callable[..., Order]) -> ResponseReturnValue:
    """Parse a staff move that takes a reason and a version (cancel, reopen), then apply it."""
    current = require_staff()
    body = json_body()
    version = expected_version(body)
    session = get_session()
    moved = move(session, current, order_ref(ref), body.get("reason"), expected_version=version)
    return order_response(session, moved, current)


@bp.post("/orders/<ref>/cancel")
def cancel(ref: str) -> ResponseReturnValue:
    return _move_with_reason(ref, cancel_order)


@bp.post("/orders/<ref>/reopen")
def reopen(ref: str) -> ResponseReturnValue:
    return _move_with_reason(ref, reopen_order)
