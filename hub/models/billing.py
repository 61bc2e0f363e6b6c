"""Billing's tables: invoices the ledger decided, Stripe's inbound events, reconcile reports."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hub.sql import Base, UTCDateTime, enum_type, utcnow


class BillingMode(enum.StrEnum):
    """How a customer's done orders are invoiced: one invoice each, or one per period."""

    PER_ORDER = "per_order"
    MONTHLY = "monthly"
    WEEKLY = "weekly"


class InvoiceStatus(enum.StrEnum):
    """Where a hub invoice stands; past ``requested`` the values are Stripe's own."""

    #: Decided by the ledger, its outbox row not yet delivered.
    REQUESTED = "requested"
    DRAFT = "draft"
    OPEN = "open"
    PAID = "paid"
    VOID = "void"
    UNCOLLECTIBLE = "uncollectible"


class Invoice(Base):
    """One invoice the ledger decided: a per-order one, or a customer's orders of a period.

    ``key`` ("hub-inv-42") is in the Stripe invoice's metadata, so it is found again by
    search when an idempotency key has expired. The orders it bills point at it
    (``orders.invoice_id``).
    """

    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id"))
    mode: Mapped[BillingMode] = mapped_column(enum_type(BillingMode, length=20))
    period: Mapped[str | None] = mapped_column(sa.String(20))
    collection_method: Mapped[str] = mapped_column(sa.String(30))
    status: Mapped[InvoiceStatus] = mapped_column(
        enum_type(InvoiceStatus, length=20, check="invoice_status_known"),
        default=InvoiceStatus.REQUESTED,
    )
    currency: Mapped[str] = mapped_column(sa.String(3), default="eur")
    total_cents: Mapped[int] = mapped_column(sa.Integer)
    vat_cents: Mapped[int] = mapped_column(sa.Integer)
    stripe_invoice_id: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    number: Mapped[str | None] = mapped_column(sa.String(100))
    hosted_url: Mapped[str | None] = mapped_column(sa.Text)
    pdf_url: Mapped[str | None] = mapped_column(sa.Text)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        sa.Index("ix_invoices_customer_period", "customer_id", "period"),
        sa.Index("ix_invoices_status", "status"),
    )

    @property
    def key(self) -> str:
        return invoice_key(self.id)


def invoice_key(invoice_id: int) -> str:
    """Return the name of a hub invoice in Stripe's metadata, e.g. hub-inv-42."""
    return f"hub-inv-{invoice_id}"


class InboxStatus(enum.StrEnum):
    RECEIVED = "received"
    APPLIED = "applied"
    FAILED = "failed"
    #: A type the hub does not act on: stored and acknowledged, nothing to apply.
    IGNORED = "ignored"


class StripeEvent(Base):
    """A Stripe webhook event as received (signature checked), applied later by the worker.

    Unique on Stripe's event id: a redelivered event is stored once; one that failed to apply
    is applied again when it comes back.
    """

    __tablename__ = "stripe_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(sa.String(255), unique=True)
    type: Mapped[str] = mapped_column(sa.String(100))
    livemode: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    created: Mapped[datetime | None] = mapped_column(UTCDateTime)
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    status: Mapped[InboxStatus] = mapped_column(
        enum_type(InboxStatus, length=20, check="inbox_status_known"),
        default=InboxStatus.RECEIVED,
    )
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (sa.Index("ix_stripe_events_status", "status", "id"),)


class ReconcileReport(Base):
    """The last comparisons of a vendor's copy with the ledger, for the outbox page.

    ``target`` is ``stripe`` or ``sheets``; ``unresolved`` counts the drift left after the
    run (a command exits 1 while it is not zero); ``details`` lists what was found and done.
    """

    __tablename__ = "reconcile_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    target: Mapped[str] = mapped_column(sa.String(20))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    repaired: Mapped[int] = mapped_column(sa.Integer, default=0)
    unresolved: Mapped[int] = mapped_column(sa.Integer, default=0)
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    __table_args__ = (sa.Index("ix_reconcile_reports_target", "target", "id"),)
