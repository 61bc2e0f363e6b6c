"""Order lines from input: unchanged lines keep their snapshot, others read today's catalogue."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.errors import N_, FieldErrors, InvalidInput
from hub.ledger.order_input import LineInput
from hub.models import OrderLine, Service
from hub.money import line_amounts

#: Largest order total, in cents (1 000 000,00 €).
MAX_TOTAL_CENTS = 100_000_000


def unchanged(line: LineInput, stored: OrderLine | None) -> bool:
    # A line without a price override keeps its stored price: it is a snapshot of order time.
    return (
        stored is not None
        and line.service_code == stored.service_code
        and line.quantity_milli == stored.quantity_milli
        and line.unit_price_cents in (None, stored.unit_price_cents)
    )


def _copy_line(stored: OrderLine, position: int) -> OrderLine:
    return OrderLine(
        position=position,
        service_code=stored.service_code,
        label=stored.label,
        unit=stored.unit,
        quantity_milli=stored.quantity_milli,
        unit_price_cents=stored.unit_price_cents,
        vat_bp=stored.vat_bp,
        amount_cents=stored.amount_cents,
        vat_cents=stored.vat_cents,
    )


def orderable_services(session: Session, codes: Iterable[str]) -> dict[str, Service]:
    """Return the active services among these codes, by code; the others cannot be ordered."""
    stmt = sa.select(Service).where(Service.code.in_(set(codes)), Service.active.is_(True))
    return {service.code: service for service in session.scalars(stmt)}


def not_orderable(position: int, code: str) -> InvalidInput:
    """Name a line whose service is missing from the catalogue or retired."""
    return InvalidInput(
        N_("No service %(code)s in the catalogue."),
        field=f"lines.{position}.service_code",
        code=code[:40],
    )


def build_lines(
    session: Session, lines: tuple[LineInput, ...], stored: list[OrderLine] | None = None
) -> list[OrderLine]:
    """Build order lines: unchanged stored lines as they were, others from today's catalogue."""
    kept = stored or []
    old = [kept[i] if i < len(kept) else None for i in range(len(lines))]
    codes = {
        line.service_code for line, was in zip(lines, old, strict=True) if not unchanged(line, was)
    }
    services = orderable_services(session, codes)
    built = []
    errors = FieldErrors()
    for position, (line, was) in enumerate(zip(lines, old, strict=True)):
        if was is not None and unchanged(line, was):
            built.append(_copy_line(was, position))
            continue
        service = services.get(line.service_code)
        if service is None:
            errors.add(not_orderable(position, line.service_code))
            continue
        price = service.unit_price_cents if line.unit_price_cents is None else line.unit_price_cents
        amounts = line_amounts(price, line.quantity_milli, service.vat_bp)
        built.append(
            OrderLine(
                position=position,
                service_code=service.code,
                label=service.label,
                unit=service.unit,
                quantity_milli=line.quantity_milli,
                unit_price_cents=price,
                vat_bp=service.vat_bp,
                amount_cents=amounts.amount_cents,
                vat_cents=amounts.vat_cents,
            )
        )
    errors.raise_any()
    total = sum(line.amount_cents for line in built)
    if total > MAX_TOTAL_CENTS:
        raise InvalidInput(N_("An order cannot exceed 1 000 000,00 €."), field="lines")
    return built
