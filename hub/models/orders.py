"""Orders, their lines (a price snapshot taken at order time) and their append-only history."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.models.billing import Invoice
from hub.models.catalogue import ServiceUnit
from hub.models.customers import Customer
from hub.models.users import User
from hub.sql import Base, UTCDateTime, enum_type, utcnow


class OrderStatus(enum.StrEnum):
    NEW = "new"
    SCHEDULED = "scheduled"
    DONE = "done"
    CANCELLED = "cancelled"


class BillingStatus(enum.StrEnum):
    UNBILLED = "unbilled"
    PENDING = "pending"
    INVOICED = "invoiced"
    PAID = "paid"
    PAYMENT_FAILED = "payment_failed"
    VOID = "void"
    CREDITED = "credited"
    UNCOLLECTIBLE = "uncollectible"


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Set from the id in the same transaction as the insert: C-<year>-<id, 6 digits>.
    ref: Mapped[str | None] = mapped_column(sa.String(32), unique=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id"))
    provider_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    status: Mapped[OrderStatus] = mapped_column(
        enum_type(OrderStatus, length=20, check="status_known"), default=OrderStatus.NEW
    )
    billing_status: Mapped[BillingStatus] = mapped_column(
        enum_type(BillingStatus, length=20, check="billing_status_known"),
        default=BillingStatus.UNBILLED,
    )
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    total_cents: Mapped[int] = mapped_column(sa.Integer, default=0)
    vat_cents: Mapped[int] = mapped_column(sa.Integer, default=0)
    currency: Mapped[str] = mapped_column(sa.String(3), default="eur")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(sa.Integer, default=1)
    # The hub invoice that bills this order (hub/models/billing.py), once one is decided.
    invoice_id: Mapped[int | None] = mapped_column(sa.ForeignKey("invoices.id"))

    customer: Mapped[Customer] = relationship(lazy="joined", innerjoin=True)
    provider: Mapped[User | None] = relationship(foreign_keys=[provider_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    invoice: Mapped[Invoice | None] = relationship()
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", order_by="OrderLine.position", cascade="all, delete-orphan"
    )
    events: Mapped[list[OrderEvent]] = relationship(
        back_populates="order", order_by="OrderEvent.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's declared form
    __table_args__ = (
        sa.Index("ix_orders_status_id", "status", "id"),
        sa.Index("ix_orders_billing_status_id", "billing_status", "id"),
        sa.Index("ix_orders_updated_at_id", "updated_at", "id"),
        sa.Index("ix_orders_provider_scheduled", "provider_id", "scheduled_at"),
        # A provider's missions newest first, without sorting all of them (SQLite needs it).
        sa.Index("ix_orders_provider_id_id", "provider_id", "id"),
        sa.Index("ix_orders_scheduled_at", "scheduled_at"),
        sa.Index("ix_orders_customer_id", "customer_id", "id"),
        sa.Index("ix_orders_invoice_id", "invoice_id"),
        sa.CheckConstraint("total_cents >= 0 AND vat_cents >= 0", name="totals_not_negative"),
    )

    @property
    def net_cents(self) -> int:
        return self.total_cents - self.vat_cents


class OrderLine(Base):
    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(sa.Integer)
    service_code: Mapped[str] = mapped_column(sa.String(40))
    label: Mapped[str] = mapped_column(sa.String(200))
    unit: Mapped[ServiceUnit] = mapped_column(enum_type(ServiceUnit, length=10))
    quantity_milli: Mapped[int] = mapped_column(sa.Integer)
    unit_price_cents: Mapped[int] = mapped_column(sa.Integer)
    vat_bp: Mapped[int] = mapped_column(sa.Integer)
    amount_cents: Mapped[int] = mapped_column(sa.Integer)
    vat_cents: Mapped[int] = mapped_column(sa.Integer)

    order: Mapped[Order] = relationship(back_populates="lines")

    __table_args__ = (
        sa.Index("ix_order_lines_order_id", "order_id"),
        sa.CheckConstraint("quantity_milli > 0", name="quantity_positive"),
        sa.CheckConstraint("unit_price_cents >= 0", name="price_not_negative"),
    )

    @property
    def net_cents(self) -> int:
        return self.amount_cents - self.vat_cents


class OrderEvent(Base):
    """One line of an order's history; rows are only ever inserted."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # Who acted when no user did: "stripe", "system", "cli".
    actor_label: Mapped[str] = mapped_column(sa.String(100), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(sa.String(40))
    from_status: Mapped[str | None] = mapped_column(sa.String(20))
    to_status: Mapped[str | None] = mapped_column(sa.String(20))
    from_billing: Mapped[str | None] = mapped_column(sa.String(20))
    to_billing: Mapped[str | None] = mapped_column(sa.String(20))
    changes: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    order: Mapped[Order] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()

    __table_args__ = (sa.Index("ix_order_events_order_id", "order_id", "id"),)
