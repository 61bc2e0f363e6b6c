"""Plain-data pictures of customers and orders: outbox payloads and API bodies share them."""

from __future__ import annotations

from typing import Any

from connectors.payloads import (
    CustomerInfo,
    OrderLinePayload,
    OrderPayload,
    PartyRef,
)
from hub.ledger.order_rows import LineRow, OrderRow
from hub.models import Customer, Order, OrderLine
from hub.money import format_quantity


def customer_snapshot(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.id,
        "ref": customer.ref,
        "name": customer.name,
        "email": customer.email,
        "phone": customer.phone,
        "address": customer.address,
        "notes": customer.notes,
        "version": customer.version,
        "created_at": customer.created_at.isoformat(),
        "updated_at": customer.updated_at.isoformat(),
    }


def line_snapshot(line: OrderLine | LineRow) -> dict[str, Any]:
    return {
        "position": line.position,
        "service_code": line.service_code,
        "label": line.label,
        "unit": line.unit,
        "quantity": format_quantity(line.quantity_milli, "en"),
        "quantity_milli": line.quantity_milli,
        "unit_price_cents": line.unit_price_cents,
        "vat_bp": line.vat_bp,
        "amount_cents": line.amount_cents,
        "net_cents": line.net_cents,
        "vat_cents": line.vat_cents,
    }


def order_snapshot(order: Order | OrderRow) -> dict[str, Any]:
    return {
        "ref": order.ref,
        "status": order.status,
        "billing_status": order.billing_status,
        "customer": {
            "id": order.customer.id,
            "ref": order.customer.ref,
            "name": order.customer.name,
            "email": order.customer.email,
            "phone": order.customer.phone,
            "address": order.customer.address,
        },
        "provider": (
            {"id": order.provider.id, "name": order.provider.name} if order.provider else None
        ),
        "scheduled_at": order.scheduled_at.isoformat() if order.scheduled_at else None,
        "completed_at": order.completed_at.isoformat() if order.completed_at else None,
        "notes": order.notes,
        "currency": order.currency,
        "total_cents": order.total_cents,
        "net_cents": order.net_cents,
        "vat_cents": order.vat_cents,
        "lines": [line_snapshot(line) for line in order.lines],
        "version": order.version,
        "created_at": order.created_at.isoformat(),
        "updated_at": order.updated_at.isoformat(),
    }


def invoice_snapshot(order: Order | OrderRow) -> dict[str, Any] | None:
    """Return an order's invoice as the API shows it, once Stripe has numbered it."""
    invoice = order.invoice
    if invoice is None or invoice.number is None:
        return None
    return {
        "number": invoice.number,
        "hosted_url": invoice.hosted_url,
        "pdf_url": invoice.pdf_url,
        "status": str(invoice.status),
    }


def customer_info(customer: Customer) -> CustomerInfo:
    """Return the customer as the outbox carries it to Stripe."""
    return CustomerInfo(
        id=customer.id,
        ref=customer.ref,
        name=customer.name,
        version=customer.version,
        email=customer.email,
        phone=customer.phone,
        address=customer.address,
        stripe_customer_id=customer.stripe_customer_id,
    )


def order_payload(order: Order) -> OrderPayload:
    """Return the order as the outbox carries it to the sheet, billing news included."""
    assert order.ref is not None
    invoice = order.invoice
    return OrderPayload(
        ref=order.ref,
        version=order.version,
        status=order.status,
        billing_status=order.billing_status,
        customer=PartyRef(id=order.customer.id, name=order.customer.name, ref=order.customer.ref),
        created_at=order.created_at,
        updated_at=order.updated_at,
        total_cents=order.total_cents,
        vat_cents=order.vat_cents,
        net_cents=order.net_cents,
        currency=order.currency,
        provider=PartyRef(id=order.provider.id, name=order.provider.name)
        if order.provider
        else None,
        concierge=order.created_by.name if order.created_by else None,
        scheduled_at=order.scheduled_at,
        completed_at=order.completed_at,
        notes=order.notes,
        lines=tuple(
            OrderLinePayload(
                position=line.position,
                service_code=line.service_code,
                label=line.label,
                unit=line.unit,
                quantity_milli=line.quantity_milli,
                unit_price_cents=line.unit_price_cents,
                vat_bp=line.vat_bp,
                amount_cents=line.amount_cents,
                net_cents=line.net_cents,
                vat_cents=line.vat_cents,
            )
            for line in order.lines
        ),
        invoice_number=invoice.number if invoice else None,
        invoice_url=invoice.hosted_url if invoice else None,
        invoice_pdf=invoice.pdf_url if invoice else None,
        paid_at=invoice.paid_at if invoice else None,
    )
