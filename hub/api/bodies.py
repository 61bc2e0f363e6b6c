"""The JSON pictures of services, customers and orders that the API answers with."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from hub.ledger.order_rows import OrderRow
from hub.ledger.snapshots import customer_snapshot, order_snapshot
from hub.models import Customer, Order, Service


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
    # Invoices live in Stripe; their number and links join this body once billing runs.
    return {**order_snapshot(order), "invoice": None}


def order_response(order: Order, status: int = 200) -> Response:
    """Answer with one order; its version doubles as the ETag for If-Match."""
    response = jsonify(order_body(order))
    response.status_code = status
    response.headers["ETag"] = f'"{order.version}"'
    return response
