"""The service catalogue: add, edit and retire services, and the default Paris catalogue."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.errors import N_, InvalidInput, NotFound
from hub.ledger import validation
from hub.models import Service, ServiceUnit
from hub.money import parse_cents
from hub.sql import use_case

_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,39}$")
VAT_RATES_BP = (0, 210, 550, 1000, 2000)

#: code, label, unit, tax-inclusive price in cents, VAT in basis points.
DEFAULT_CATALOGUE: tuple[tuple[str, str, str, int, int], ...] = (
    ("PARCEL", "Réception de colis", "unit", 300, 2000),
    ("KEYS", "Remise de clés", "unit", 800, 2000),
    ("ASSEMBLY", "Montage de meubles", "hour", 3500, 2000),
    ("CLEANING", "Ménage à domicile", "hour", 2800, 1000),
    ("IRONING", "Repassage", "hour", 2600, 1000),
    ("REPAIR", "Petits travaux et réparations", "hour", 4200, 1000),
    ("PLANTS", "Arrosage des plantes (visite)", "flat", 1500, 2000),
    ("PRESSING", "Dépôt pressing", "flat", 500, 2000),
    ("ERRANDS", "Courses de proximité", "flat", 1200, 2000),
    ("PET", "Visite animaux de compagnie", "flat", 1800, 2000),
)


@dataclass(frozen=True)
class ServiceInput:
    code: str
    label: str
    unit: ServiceUnit
    unit_price_cents: int
    vat_bp: int

    @classmethod
    def parse(cls, data: dict[str, Any]) -> ServiceInput:
        """Validate raw form or JSON fields for a service."""
        code = validation.text(data.get("code"), "code", max_length=40, required=True)
        assert code is not None
        code = code.upper()
        if not _CODE.match(code):
            raise InvalidInput(N_("Use 2 to 40 capital letters, digits, - or _."), field="code")
        label = validation.text(data.get("label"), "label", max_length=200, required=True)
        assert label is not None
        unit = str(data.get("unit") or "")
        if unit not in {u.value for u in ServiceUnit}:
            raise InvalidInput(N_("Choose a unit."), field="unit")
        try:
            raw_price = data.get("unit_price")
            price = parse_cents("" if raw_price is None else raw_price)
        except InvalidInput as exc:
            exc.field = "unit_price"
            raise
        try:
            vat_bp = int(str(data.get("vat_bp", "")))
        except ValueError:
            vat_bp = -1
        if vat_bp not in VAT_RATES_BP:
            raise InvalidInput(N_("Choose a VAT rate."), field="vat_bp")
        return cls(
            code=code, label=label, unit=ServiceUnit(unit), unit_price_cents=price, vat_bp=vat_bp
        )


def list_services(session: Session, *, include_retired: bool = False) -> list[Service]:
    stmt = sa.select(Service).order_by(Service.label)
    if not include_retired:
        stmt = stmt.where(Service.active.is_(True))
    return list(session.scalars(stmt))


def get_service(session: Session, code: str) -> Service:
    service = session.scalars(sa.select(Service).where(Service.code == code)).first()
    if service is None:
        raise NotFound(N_("No service %(code)s in the catalogue."), code=code[:40])
    return service


@use_case
def create_service(session: Session, data: ServiceInput) -> Service:
    if session.scalars(sa.select(Service.id).where(Service.code == data.code)).first():
        raise InvalidInput(N_("The code %(code)s is already taken."), field="code", code=data.code)
    service = Service(
        code=data.code,
        label=data.label,
        unit=data.unit,
        unit_price_cents=data.unit_price_cents,
        vat_bp=data.vat_bp,
        active=True,
    )
    session.add(service)
    session.flush()
    return service


@use_case
def update_service(session: Session, code: str, data: ServiceInput) -> Service:
    """Change a service; existing order lines keep the price they were sold at."""
    service = get_service(session, code)
    if data.code != service.code:
        raise InvalidInput(N_("A service's code cannot change."), field="code")
    service.label = data.label
    service.unit = data.unit
    service.unit_price_cents = data.unit_price_cents
    service.vat_bp = data.vat_bp
    session.flush()
    return service


@use_case
def set_service_active(session: Session, code: str, active: bool) -> Service:
    """Retire a service from new orders, or bring it back."""
    service = get_service(session, code)
    service.active = active
    session.flush()
    return service


def seed_default_catalogue(session: Session) -> int:
    """Add the default services that are missing; return how many were added."""
    existing = set(session.scalars(sa.select(Service.code)))
    added = 0
    for code, label, unit, price, vat in DEFAULT_CATALOGUE:
        if code not in existing:
            session.add(
                Service(
                    code=code,
                    label=label,
                    unit=unit,
                    unit_price_cents=price,
                    vat_bp=vat,
                    active=True,
                )
            )
            added += 1
    session.flush()
    return added
