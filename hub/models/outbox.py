"""The transactional outbox: events written with the ledger change, delivered later by jobs."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hub.sql import Base, UTCDateTime, enum_type, utcnow


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    DELIVERED = "delivered"
    DEAD = "dead"


class OutboxRow(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    # One row per (event, connector that takes its topic), so each connector keeps its own state.
    connector: Mapped[str] = mapped_column(sa.String(40))
    topic: Mapped[str] = mapped_column(sa.String(60))
    aggregate_type: Mapped[str] = mapped_column(sa.String(20))
    aggregate_ref: Mapped[str] = mapped_column(sa.String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    status: Mapped[OutboxStatus] = mapped_column(
        enum_type(OutboxStatus, length=20, check="status_known"), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    last_traceback: Mapped[str | None] = mapped_column(sa.Text)
    lease_token: Mapped[str | None] = mapped_column(sa.String(40))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set by the first claim and cleared by a replay: the give-up age counts from here, so a
    # backlog that waited for its connector to be configured does not die of age at once.
    first_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the row is handed to its connector under the current lease (attempts are
    # charged then, not at the claim), cleared with the lease.
    handed_over: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    # Leases that expired after a hand-over: the worker died delivering it. Such a row is
    # claimed alone from then on, so a crashing event cannot take others down with it.
    lost_leases: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.Index("ix_outbox_due", "connector", "status", "next_attempt_at"),
        sa.Index("ix_outbox_aggregate", "connector", "aggregate_ref", "id"),
        # Partial indexes for the dispatcher's claim (jobs/claims.py): walk a connector's
        # pending rows in id order, and find an older undelivered row of the same aggregate,
        # without touching the delivered rows that make up most of the table.
        sa.Index(
            "ix_outbox_pending",
            "connector",
            "id",
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        ),
        sa.Index(
            "ix_outbox_open",
            "connector",
            "aggregate_ref",
            "id",
            sqlite_where=sa.text("status <> 'delivered'"),
            postgresql_where=sa.text("status <> 'delivered'"),
        ),
    )
