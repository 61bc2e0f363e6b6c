"""Order input as received from a form or JSON body: check every field, name the bad one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hub.errors import N_, AmountError, InvalidInput
from hub.ledger import validation
from hub.money import parse_cents, parse_quantity_milli

MAX_LINES = 50


@dataclass(frozen=True)
class LineInput:
    service_code: str
    quantity_milli: int
    unit_price_cents: int | None  # None: the catalogue price


@dataclass(frozen=True)
class OrderInput:
    customer_id: int
    lines: tuple[LineInput, ...]
    scheduled_at: datetime | None
    provider_id: int | None
    notes: str | None

    @classmethod
    def parse(cls, data: dict[str, Any]) -> OrderInput:
        """Validate raw JSON or form data; errors name the field, e.g. ``lines.1.quantity``."""
        customer_id = validation.positive_id(data.get("customer_id"), "customer_id", required=True)
        assert customer_id is not None
        raw_lines = data.get("lines")
        if not isinstance(raw_lines, list) or not raw_lines:
            raise InvalidInput(N_("Add at least one line."), field="lines")
        if len(raw_lines) > MAX_LINES:
            raise InvalidInput(N_("At most %(max)s lines."), field="lines", max=MAX_LINES)
        lines = tuple(_parse_line(raw, i) for i, raw in enumerate(raw_lines))
        return cls(
            customer_id=customer_id,
            lines=lines,
            scheduled_at=validation.instant(
                data.get("scheduled_at"), "scheduled_at", first_year=2000, last_year=2100
            ),
            provider_id=validation.positive_id(data.get("provider_id"), "provider_id"),
            notes=validation.text(data.get("notes"), "notes", max_length=2000),
        )


def _parse_line(raw: object, index: int) -> LineInput:
    if not isinstance(raw, dict):
        raise InvalidInput(N_("Each line must be an object."), field=f"lines.{index}")
    code = validation.text(
        raw.get("service_code"), f"lines.{index}.service_code", max_length=40, required=True
    )
    assert code is not None
    try:
        quantity = parse_quantity_milli(raw.get("quantity", 1))
    except AmountError as exc:
        exc.field = f"lines.{index}.quantity"
        raise
    price_raw = raw.get("unit_price")
    price: int | None = None
    if price_raw is not None and price_raw != "":
        try:
            price = parse_cents(price_raw)
        except AmountError as exc:
            exc.field = f"lines.{index}.unit_price"
            raise
    return LineInput(service_code=code, quantity_milli=quantity, unit_price_cents=price)
