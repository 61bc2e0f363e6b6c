"""The order form as typed: read it from a post, check every field, hand the ledger clean input."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask import request
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from hub.errors import AmountError, HubError, InvalidInput
from hub.ledger import validation
from hub.ledger.customers import CustomerInput, search_customers
from hub.ledger.order_input import MAX_LINES
from hub.models import Customer, Order, Service, User
from hub.money import format_cents_plain, format_quantity, parse_cents, parse_quantity_milli
from hub.web.customers import parse_customer
from hub.web.forms import parse_local_datetime
from hub.web.i18n import current_language, local_time, translate_error

BLANK_ROWS = 3
CUSTOMER_CHOICES = 20
CUSTOMER_FIELDS = ("name", "email", "phone", "address")
_ROW_KEY = re.compile(r"^lines\.(\d{1,3})\.")
_LINE_FIELD = re.compile(r"^lines\.(\d+)(\..*)?$")


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
class CheckedOrder:
    """What the ledger needs once every field read well: order fields, and maybe a new customer."""

    customer_id: int | None
    new_customer: CustomerInput | None
    payload: dict[str, Any]
    #: The form row each ledger line came from, so the ledger's errors land on the right row.
    rows: tuple[int, ...]

    def order_data(self, customer_id: int) -> dict[str, Any]:
        return {**self.payload, "customer_id": customer_id}


def check(
    form: OrderForm, services: list[Service], providers: list[User], *, with_customer: bool = True
) -> CheckedOrder | None:
    """Check every field, recording each error in form.errors; return the clean input or None."""
    errors = form.errors
    customer_id: int | None = None
    new_customer: CustomerInput | None = None
    if with_customer:
        typed_customer = any(value.strip() for value in form.customer.values())
        if form.customer_id and typed_customer:
            # Never drop what was typed without a word: make them pick one of the two.
            errors["customer_id"] = _("Choose an existing customer or type a new one, not both.")
        elif form.customer_id:
            try:
                customer_id = validation.positive_id(form.customer_id, "customer_id", required=True)
            except InvalidInput:
                errors["customer_id"] = _("Choose a customer from the list.")
        elif typed_customer:
            new_customer, customer_errors = parse_customer({**form.customer, "notes": ""})
            errors.update({f"customer.{key}": text for key, text in customer_errors.items()})
        else:
            errors["customer_id"] = _("Choose a customer, or type a new customer's name below.")
            errors["customer.name"] = _("This field is required.")

    known = {service.code for service in services}
    lines: list[dict[str, Any]] = []
    rows: list[int] = []
    for index, row in enumerate(form.lines):
        if row.blank:
            continue
        prefix = f"lines.{index}."
        code = row.service_code.strip()
        if not code:
            errors[prefix + "service_code"] = _("Choose a service.")
        elif code not in known:
            errors[prefix + "service_code"] = _("No service %(code)s in the catalogue.", code=code)
        quantity = row.quantity.strip() or "1"
        try:
            parse_quantity_milli(quantity)
        except AmountError as exc:
            errors[prefix + "quantity"] = translate_error(exc)
        if row.unit_price.strip():
            try:
                parse_cents(row.unit_price)
            except AmountError as exc:
                errors[prefix + "unit_price"] = translate_error(exc)
        lines.append({"service_code": code, "quantity": quantity, "unit_price": row.unit_price})
        rows.append(index)
    if not lines:
        errors["lines"] = _("Add at least one line.")

    when = None
    try:
        when = parse_local_datetime(form.scheduled_at, "scheduled_at")
    except InvalidInput as exc:
        errors["scheduled_at"] = translate_error(exc)
    if form.provider_id and form.provider_id not in {str(p.id) for p in providers}:
        errors["provider_id"] = _("Choose an active provider.")
    if errors:
        return None
    return CheckedOrder(
        customer_id=customer_id,
        new_customer=new_customer,
        payload={
            "lines": lines,
            "scheduled_at": when,
            "provider_id": form.provider_id or None,
            "notes": form.notes,
        },
        rows=tuple(rows),
    )


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


def place_error(form: OrderForm, checked: CheckedOrder | None, exc: HubError) -> None:
    """Put an error the ledger raised next to the form field it names."""
    name = exc.field or ""
    match = _LINE_FIELD.match(name)
    if match and checked is not None and int(match.group(1)) < len(checked.rows):
        name = f"lines.{checked.rows[int(match.group(1))]}{match.group(2) or ''}"
    form.errors[name] = translate_error(exc)
