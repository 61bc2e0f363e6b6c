"""The JSON pictures of services, customers and orders that the API answers with."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from sqlalchemy.orm import Session

from hub.ledger.actor import Actor
from hub.ledger.order_rows import OrderRow
from hub.ledger.queries import order_events
from hub.ledger.snapshots import customer_snapshot, invoice_snapshot, order_snapshot
from hub.models import STAFF_ROLES, Customer, Order, OrderEvent, OrderStatus, Service, User


def service_body(service: Service) -> dict[str, Any]:
    return {
        "code": service.code,
        "label": service.label,
        "unit": service.unit,
        "unit_price_cents": service.unit_price_cents,
        "vat_bp": service.vat_bp,
    }


def customer_body(customer: Customer) -> dict[str, Any]:
    return customer_snapshot(customer)


def order_body(order: Order | OrderRow) -> dict[str, Any]:
    # Invoices live in Stripe; their number and links join this body once Stripe issued one.
    return {**order_snapshot(order), "invoice": invoice_snapshot(order)}


def provider_body(user: User) -> dict[str, Any]:
    return {"id": user.id, "name": user.name, "active": user.active}


def _by(event: OrderEvent) -> str:
    """Who made a change: the user's name, or the system that did ("stripe", "cli")."""
    return event.actor.name if event.actor is not None else (event.actor_label or "system")


def history_body(event: OrderEvent) -> dict[str, Any]:
    moved = event.from_status is not None or event.to_status is not None
    return {
        "at": event.at.isoformat(),
        "kind": event.kind,
        "by": _by(event),
        "from": event.from_status if moved else event.from_billing,
        "to": event.to_status if moved else event.to_billing,
        "changes": event.changes or {},
    }


def order_detail_body(session: Session, order: Order, viewer: Actor) -> dict[str, Any]:
    """One order as a single-order answer: the list body plus who did what.

    Lists stay lean (no history). The history, with its billing news and reasons, is for staff;
    a provider reading their mission sees who created it and who marked it done.
    """
    events = order_events(session, order)
    created = next((e for e in events if e.kind == "created"), None)
    done = next((e for e in reversed(events) if e.kind == "done"), None)
    body = order_body(order)
    body["created_by"] = _by(created) if created is not None else None
    body["done_by"] = _by(done) if done is not None and order.status == OrderStatus.DONE else None
    if viewer.role in STAFF_ROLES:
        body["history"] = [history_body(event) for event in events]
    return body


def order_response(session: Session, order: Order, viewer: Actor, status: int = 200) -> Response:
    """Answer with one order; its version doubles as the ETag for If-Match."""
    response = jsonify(order_detail_body(session, order, viewer))
    response.status_code = status
    response.headers["ETag"] = f'"{order.version}"'
    return response
