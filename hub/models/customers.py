"""Customers of the concierge: people and households who order services."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hub.models.billing import BillingMode
from hub.sql import Base, UTCDateTime, enum_type, utcnow

#: SQLite's FTS5 table over ``customers.search_key`` (migration 0007); the models leave it
#: (and its shadow tables, named after it) out, since SQLAlchemy cannot declare a virtual table.
SEARCH_FTS_TABLE = "customer_search"


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    address: Mapped[str | None] = mapped_column(sa.Text)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    # Lowercased name and e-mail and the phone's digits in one column (hub.ledger.search):
    # one substring match per word, served by a trigram index on PostgreSQL and by the
    # customer_search FTS5 table on SQLite.
    search_key: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(sa.Integer, default=1)
    # Set once the billing connector has found or created the customer in Stripe.
    stripe_customer_id: Mapped[str | None] = mapped_column(sa.String(255))
    # None: the hub's [stripe] billing_mode applies; else this customer's own mode.
    billing_mode: Mapped[BillingMode | None] = mapped_column(enum_type(BillingMode, length=20))

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's declared form
    __table_args__ = (
        sa.Index("ix_customers_email", "email"),
        # A unique index, not a constraint: SQLite adds it without rebuilding the table
        # (which would drop the customer_search triggers).
        sa.Index("ux_customers_stripe_customer_id", "stripe_customer_id", unique=True),
        # A GIN trigram index on PostgreSQL; SQLite keeps a plain one and searches through FTS5.
        sa.Index(
            "ix_customers_search_key",
            "search_key",
            postgresql_using="gin",
            postgresql_ops={"search_key": "gin_trgm_ops"},
        ),
    )

    @property
    def ref(self) -> str:
        return customer_ref(self.id)


def customer_ref(customer_id: int) -> str:
    """Return the reference people quote for a customer, e.g. K-000042."""
    return f"K-{customer_id:06d}"
