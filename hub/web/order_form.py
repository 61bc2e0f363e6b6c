"""The order form as typed: read it from a post, hand it to the ledger, show its errors by field."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import request
from sqlalchemy.orm import Session

from hub.db import utcnow
from hub.errors import AmountError, HubError, InvalidInput
from hub.ledger import validation
from hub.ledger.catalogue import list_services
from hub.ledger.customers import search_customers
from hub.ledger.order_input import MAX_LINES
from hub.models import Customer, Order, Service
from hub.money import (
    format_cents_plain,
    format_quantity,
    line_amounts,
    parse_cents,
    parse_quantity_milli,
)
from hub.web.forms import parse_local_datetime
from hub.web.i18n import current_language, local_time, translate_error

BLANK_ROWS = 3
CUSTOMER_CHOICES = 20
CUSTOMER_FIELDS = ("name", "email", "phone", "address")
_ROW_KEY = re.compile(r"^lines\.(\d{1,3})\.")
_LINE_FIELD = re.compile(r"^lines\.(\d+)(\..*)?$")
#: A time this little in the past is "now" (a mission recorded as it starts), not a mistake.
PAST_GRACE = timedelta(minutes=10)


@dataclass
class LineRow:
    service_code: str = ""
    quantity: str = ""
    unit_price: str = ""

    @property
    def blank(self) -> bool:
        return not (self.service_code.strip() or self.quantity.strip() or self.unit_price.strip())


@dataclass
class OrderForm:
    """Every value of the order form exactly as typed, plus the error found for each field."""

    customer_id: str = ""
    customer_q: str = ""
    customer: dict[str, str] = field(default_factory=lambda: dict.fromkeys(CUSTOMER_FIELDS, ""))
    lines: list[LineRow] = field(default_factory=lambda: [LineRow() for _ in range(BLANK_ROWS)])
    scheduled_at: str = ""
    provider_id: str = ""
    notes: str = ""
    #: The past date the concierge confirmed (the "save anyway" box), as typed.
    confirm_past: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_request(cls) -> OrderForm:
        form = request.form
        indexes = [int(m.group(1)) for key in form if (m := _ROW_KEY.match(key))]
        count = min(max(indexes, default=-1) + 1, MAX_LINES)
        return cls(
            customer_id=form.get("customer_id", "").strip(),
            customer_q=form.get("customer_q", "")[:200],
            customer={name: form.get(f"customer.{name}", "") for name in CUSTOMER_FIELDS},
            lines=[
                LineRow(
                    service_code=form.get(f"lines.{i}.service_code", ""),
                    quantity=form.get(f"lines.{i}.quantity", ""),
                    unit_price=form.get(f"lines.{i}.unit_price", ""),
                )
                for i in range(count)
            ],
            scheduled_at=form.get("scheduled_at", ""),
            provider_id=form.get("provider_id", "").strip(),
            notes=form.get("notes", ""),
            confirm_past=form.get("confirm_past", "")[:40],
        )

    @classmethod
    def of_order(cls, order: Order) -> OrderForm:
        """Fill the form from a stored order, prices and quantities written the way people type."""
        language = current_language()
        local = local_time(order.scheduled_at)
        rows = [
            LineRow(
                service_code=line.service_code,
                quantity=format_quantity(line.quantity_milli, language),
                unit_price=format_cents_plain(line.unit_price_cents),
            )
            for line in order.lines
        ]
        return cls(
            customer_id=str(order.customer_id),
            lines=[*rows, LineRow()],
            scheduled_at=local.strftime("%Y-%m-%dT%H:%M") if local else "",
            provider_id=str(order.provider_id or ""),
            notes=order.notes or "",
        )

    def add_row(self) -> None:
        if len(self.lines) < MAX_LINES:
            self.lines.append(LineRow())


@dataclass(frozen=True)
class RawOrder:
    """The form's values as the ledger's parser reads them, and where each line came from."""

    data: dict[str, Any]
    #: The form row each ledger line came from, so the ledger's errors land on the right row.
    rows: tuple[int, ...]


def raw_order(form: OrderForm, *, customer_id: int | None = None) -> RawOrder:
    """Hand the ledger what was typed, blank rows left out; without customer_id, a customer too."""
    lines: list[dict[str, Any]] = []
    rows: list[int] = []
    for index, row in enumerate(form.lines):
        if row.blank:
            continue
        lines.append(
            {
                "service_code": row.service_code.strip(),
                "quantity": row.quantity.strip() or "1",
                "unit_price": row.unit_price,
            }
        )
        rows.append(index)
    data: dict[str, Any] = {
        "lines": lines,
        "scheduled_at": form.scheduled_at,
        "provider_id": form.provider_id,
        "notes": form.notes,
    }
    if customer_id is not None:
        data["customer_id"] = customer_id
    else:
        data["customer_id"] = form.customer_id
        data["customer"] = {**form.customer, "notes": ""}
    return RawOrder(data=data, rows=tuple(rows))


def customer_choices(session: Session, form: OrderForm) -> list[Customer]:
    """Offer the customers matching the search box (else the newest), the chosen one first."""
    found = search_customers(session, form.customer_q, limit=CUSTOMER_CHOICES)
    try:
        chosen_id = validation.positive_id(form.customer_id, "customer_id")
    except InvalidInput:
        chosen_id = None
    chosen = session.get(Customer, chosen_id) if chosen_id is not None else None
    if chosen is not None:
        found = [chosen, *(c for c in found if c.id != chosen.id)]
    return found


def place_errors(form: OrderForm, raw: RawOrder, exc: HubError) -> None:
    """Put each error the ledger raised next to the form field it names."""
    found = exc.errors if isinstance(exc, InvalidInput) and exc.errors else {exc.field or "": exc}
    for name, error in found.items():
        match = _LINE_FIELD.match(name)
        shown = name
        if match and int(match.group(1)) < len(raw.rows):
            shown = f"lines.{raw.rows[int(match.group(1))]}{match.group(2) or ''}"
        form.errors.setdefault(shown, translate_error(error))


def catalogue_prices(session: Session) -> dict[str, int]:
    """Return each service's catalogue price in cents, retired services included.

    A line's snapshot keeps the price charged, not the catalogue's price on the day the order
    was taken; the order page compares with today's catalogue, which a price change since
    then also makes differ.
    """
    return {s.code: s.unit_price_cents for s in list_services(session, include_retired=True)}


def running_total(form: OrderForm, services: list[Service]) -> int | None:
    """Return the total incl. VAT of the lines as typed, rounded as the ledger does, or None.

    None when a line cannot be read yet (an unknown service, a quantity or price that is not a
    number): the page then shows no total rather than a wrong one. hub/static/order-form.js
    computes the same sum as the lines are typed; both follow hub.money.line_amounts.
    """
    catalogue = {service.code: service for service in services}
    total = 0
    for row in form.lines:
        if row.blank:
            continue
        service = catalogue.get(row.service_code.strip())
        if service is None:
            return None
        try:
            quantity = parse_quantity_milli(row.quantity.strip() or "1")
            price = (
                parse_cents(row.unit_price) if row.unit_price.strip() else service.unit_price_cents
            )
        except AmountError:
            return None
        total += line_amounts(price, quantity, service.vat_bp).amount_cents
    return total


def unconfirmed_past(typed: str | None, confirmed: str | None) -> datetime | None:
    """Return the typed time when it lies in the past and that very time was not confirmed.

    The pages ask before saving a past date (a typo in the year or the month, most often);
    recording a mission done yesterday stays possible by confirming. A time that cannot be
    read is the ledger's to refuse, not a question; the API never asks.
    """
    if not typed or not typed.strip():
        return None
    try:
        when = parse_local_datetime(typed, "scheduled_at")
    except InvalidInput:
        return None
    if when is None or when >= utcnow() - PAST_GRACE:
        return None
    return when if (confirmed or "").strip() != typed.strip() else None
