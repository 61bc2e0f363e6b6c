"""Orders as plain rows for lists: one Core select of the columns shown, no ORM object graph.

Lists (the API's pages, the /orders page, the board, the missions) read many orders and
change none, so they skip the identity map and relationship loading: one select joins each
order to its customer and provider, and, when the list shows lines, a second one reads the
lines of every order on the page at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from hub.models import BillingStatus, Customer, Invoice, Order, OrderLine, OrderStatus, User
from hub.models.customers import customer_ref

_provider = aliased(User, name="provider")


@dataclass(frozen=True, slots=True)
class CustomerRow:
    id: int
    name: str
    email: str | None
    phone: str | None
    address: str | None
    #: Access notes (door code, floor, "ring twice"): a provider needs them on the mission card.
    notes: str | None = None

    @property
    def ref(self) -> str:
        return customer_ref(self.id)


@dataclass(frozen=True, slots=True)
class ProviderRow:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class LineRow:
    position: int
    service_code: str
    label: str
    unit: str
    quantity_milli: int
    unit_price_cents: int
    vat_bp: int
    amount_cents: int
    vat_cents: int

    @property
    def net_cents(self) -> int:
        return self.amount_cents - self.vat_cents


@dataclass(frozen=True, slots=True)
class InvoiceRow:
    """An order's invoice as lists show it: attribute names match the Invoice model's."""

    number: str | None
    hosted_url: str | None
    pdf_url: str | None
    status: str


@dataclass(frozen=True, slots=True)
class OrderRow:
    """What a list shows of one order; attribute names match the Order model's."""

    id: int
    ref: str | None
    status: OrderStatus
    billing_status: BillingStatus
    customer: CustomerRow
    provider: ProviderRow | None
    scheduled_at: datetime | None
    completed_at: datetime | None
    notes: str | None
    currency: str
    total_cents: int
    vat_cents: int
    version: int
    created_at: datetime
    updated_at: datetime
    lines: tuple[LineRow, ...] = ()
    invoice: InvoiceRow | None = None

    @property
    def net_cents(self) -> int:
        return self.total_cents - self.vat_cents


_ORDER_COLUMNS = (
    Order.id,
    Order.ref,
    Order.status,
    Order.billing_status,
    Order.scheduled_at,
    Order.completed_at,
    Order.notes,
    Order.currency,
    Order.total_cents,
    Order.vat_cents,
    Order.version,
    Order.created_at,
    Order.updated_at,
    Customer.id.label("customer_id"),
    Customer.name.label("customer_name"),
    Customer.email.label("customer_email"),
    Customer.phone.label("customer_phone"),
    Customer.address.label("customer_address"),
    Customer.notes.label("customer_notes"),
    _provider.id.label("provider_id"),
    _provider.name.label("provider_name"),
    Invoice.id.label("invoice_id"),
    Invoice.number.label("invoice_number"),
    Invoice.hosted_url.label("invoice_hosted_url"),
    Invoice.pdf_url.label("invoice_pdf_url"),
    Invoice.status.label("invoice_status"),
)
_LINE_COLUMNS = (
    OrderLine.order_id,
    OrderLine.position,
    OrderLine.service_code,
    OrderLine.label,
    OrderLine.unit,
    OrderLine.quantity_milli,
    OrderLine.unit_price_cents,
    OrderLine.vat_bp,
    OrderLine.amount_cents,
    OrderLine.vat_cents,
)


def order_rows_select() -> sa.Select[Any]:
    """Return a select of orders joined to what lists show; callers add filters and order."""
    return (
        sa.select(*_ORDER_COLUMNS)
        .join(Customer, Customer.id == Order.customer_id)
        .outerjoin(_provider, _provider.id == Order.provider_id)
        .outerjoin(Invoice, Invoice.id == Order.invoice_id)
    )


def _core(session: Session) -> sa.Connection:
    # Plain column selects need none of the ORM's execution machinery (identity map, loaders).
    return session.connection()


def _lines_of(session: Session, order_ids: Sequence[int]) -> dict[int, tuple[LineRow, ...]]:
    found: dict[int, list[LineRow]] = {order_id: [] for order_id in order_ids}
    if not order_ids:
        return {}
    stmt = (
        sa.select(*_LINE_COLUMNS)
        .where(OrderLine.order_id.in_(order_ids))
        .order_by(OrderLine.order_id, OrderLine.position)
    )
    for row in _core(session).execute(stmt):
        found[row[0]].append(LineRow(*row[1:]))
    return {order_id: tuple(lines) for order_id, lines in found.items()}


def read_order_rows(
    session: Session, stmt: sa.Select[Any], *, with_lines: bool = False
) -> list[OrderRow]:
    """Run a select built on order_rows_select and return its orders as plain rows."""
    rows = _core(session).execute(stmt).all()
    lines = _lines_of(session, [row.id for row in rows]) if with_lines else {}
    return [
        OrderRow(
            id=row.id,
            ref=row.ref,
            status=row.status,
            billing_status=row.billing_status,
            customer=CustomerRow(
                row.customer_id,
                row.customer_name,
                row.customer_email,
                row.customer_phone,
                row.customer_address,
                row.customer_notes,
            ),
            provider=(
                ProviderRow(row.provider_id, row.provider_name)
                if row.provider_id is not None
                else None
            ),
            scheduled_at=row.scheduled_at,
            completed_at=row.completed_at,
            notes=row.notes,
            currency=row.currency,
            total_cents=row.total_cents,
            vat_cents=row.vat_cents,
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
            lines=lines.get(row.id, ()),
            invoice=(
                InvoiceRow(
                    row.invoice_number,
                    row.invoice_hosted_url,
                    row.invoice_pdf_url,
                    row.invoice_status,
                )
                if row.invoice_id is not None
                else None
            ),
        )
        for row in rows
    ]
