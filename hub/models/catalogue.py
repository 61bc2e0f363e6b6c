"""The service catalogue: what a concierge can sell, at which tax-inclusive price."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hub.sql import Base, UTCDateTime, enum_type, utcnow


class ServiceUnit(enum.StrEnum):
    UNIT = "unit"
    HOUR = "hour"
    FLAT = "flat"


class Service(Base):
    __tablename__ = "services"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    label: Mapped[str] = mapped_column(sa.String(200))
    unit: Mapped[ServiceUnit] = mapped_column(enum_type(ServiceUnit, length=10, check="unit_known"))
    unit_price_cents: Mapped[int] = mapped_column(sa.Integer)
    vat_bp: Mapped[int] = mapped_column(sa.Integer)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        sa.CheckConstraint("unit_price_cents >= 0", name="price_not_negative"),
        sa.CheckConstraint("vat_bp >= 0 AND vat_bp <= 10000", name="vat_in_range"),
    )
