"""Customers: create, search (keyset pages) and read one; concierges and admins only."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from hub.api.auth import require_staff
from hub.api.blueprint import bp
from hub.api.bodies import customer_body
from hub.api.idempotent import create_once
from hub.api.params import json_body, query_limit, query_text, record_id
from hub.db import get_session
from hub.errors import N_
from hub.ledger.customers import CustomerInput, create_customer, get_customer, search_customers
from hub.ledger.queries import decode_cursor, encode_cursor


@bp.post("/customers")
def new_customer() -> ResponseReturnValue:
    require_staff()
    data = CustomerInput.parse(json_body())

    def make(session: Session) -> tuple[dict[str, Any], str]:
        customer = create_customer(session, data)
        return customer_body(customer), url_for("api.customer", customer_id=customer.id)

    return create_once(make)


@bp.get("/customers")
def customers() -> ResponseReturnValue:
    require_staff()
    query = query_text("q") or ""
    limit = query_limit()
    cursor = request.args.get("cursor", "").strip()
    after_id = decode_cursor(cursor)["id"] if cursor else None
    rows = search_customers(get_session(), query, limit=limit + 1, after_id=after_id)
    next_cursor = encode_cursor({"id": rows[limit - 1].id}) if len(rows) > limit else None
    return jsonify(data=[customer_body(c) for c in rows[:limit]], next_cursor=next_cursor)


@bp.get("/customers/<int:customer_id>")
def customer(customer_id: int) -> ResponseReturnValue:
    require_staff()
    found = get_customer(get_session(), record_id(customer_id, N_("No customer %(id)s.")))
    return jsonify(customer_body(found))
