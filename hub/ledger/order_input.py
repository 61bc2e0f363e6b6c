"""Order input as received from a form or JSON body: check every field, name every bad one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from hub.errors import N_, AmountError, FieldErrors, InvalidInput
from hub.ledger import validation
from hub.ledger.customers import CustomerInput
from hub.money import parse_cents, parse_quantity_milli

MAX_LINES = 50
_BAD_ID = N_("Expected an identifier.")
#: The fields an order's edit may change; the customer only to the one it already has.
EDITABLE_FIELDS = ("customer_id", "lines", "scheduled_at", "provider_id", "notes")


@dataclass(frozen=True)
class LineInput:
    service_code: str
    quantity_milli: int
    unit_price_cents: int | None  # None: the catalogue price


@dataclass(frozen=True)
class OrderInput:
    customer_id: int | None  # None only with new_customer
    lines: tuple[LineInput, ...]
    scheduled_at: datetime | None
    provider_id: int | None
    notes: str | None
    #: A customer typed with the order, created in the order's transaction.
    new_customer: CustomerInput | None = None

    @classmethod
    def parse(cls, data: Mapping[str, Any], *, local_zone: tzinfo | None = None) -> OrderInput:
        """Validate raw JSON or form data; one InvalidInput names every bad field.

        Fields are named as sent, e.g. ``lines.1.quantity``; a new customer's fields as
        ``customer.name``. With local_zone, a time without offset reads as local time.
        """
        errors = FieldErrors()
        customer_id, new_customer = _parse_customer(data, errors)
        names = ("lines", "scheduled_at", "provider_id", "notes")
        fields = parse_fields(data, names, errors, local_zone)
        errors.raise_any()
        return cls(
            customer_id=customer_id,
            lines=fields["lines"],
            scheduled_at=fields["scheduled_at"],
            provider_id=fields["provider_id"],
            notes=fields["notes"],
            new_customer=new_customer,
        )


def _parse_customer(
    data: Mapping[str, Any], errors: FieldErrors
) -> tuple[int | None, CustomerInput | None]:
    typed = data.get("customer")
    has_id = data.get("customer_id") not in (None, "")
    if isinstance(typed, Mapping) and any(str(value or "").strip() for value in typed.values()):
        if has_id:
            # Never drop what was typed without a word: make them pick one of the two.
            errors.add(
                InvalidInput(
                    N_("Choose an existing customer or type a new one, not both."),
                    field="customer_id",
                )
            )
            return None, None
        customer = errors.check(lambda: CustomerInput.parse(typed, prefix="customer."))
        return None, customer
    if not has_id and "customer" in data:
        # The caller offers a new customer beside the list: say both ways out.
        errors.add(
            InvalidInput(
                N_("Choose a customer, or type a new customer's name below."), field="customer_id"
            )
        )
        errors.add(InvalidInput(N_("This field is required."), field="customer.name"))
        return None, None
    # Beside a list of customers, a bad id can only be a damaged choice.
    message = N_("Choose a customer from the list.") if "customer" in data else _BAD_ID
    customer_id = errors.check(
        lambda: validation.positive_id(
            data.get("customer_id"), "customer_id", required=True, message=message
        )
    )
    return customer_id, None


def parse_fields(
    data: Mapping[str, Any],
    names: tuple[str, ...],
    errors: FieldErrors,
    local_zone: tzinfo | None = None,
) -> dict[str, Any]:
    """Parse the named order fields of data, noting each bad one in errors; absent ones are None."""
    parsers = {
        "customer_id": lambda: validation.positive_id(
            data.get("customer_id"), "customer_id", required=True
        ),
        "lines": lambda: _parse_lines(data.get("lines"), errors),
        "scheduled_at": lambda: validation.instant(
            data.get("scheduled_at"),
            "scheduled_at",
            local_zone=local_zone,
            first_year=2000,
            last_year=2100,
        ),
        "provider_id": lambda: validation.positive_id(
            data.get("provider_id"), "provider_id", message=N_("Choose an active provider.")
        ),
        "notes": lambda: validation.text(data.get("notes"), "notes", max_length=2000),
    }
    return {name: errors.check(parsers[name]) for name in names}


def _parse_lines(raw_lines: object, errors: FieldErrors) -> tuple[LineInput, ...] | None:
    if not isinstance(raw_lines, list) or not raw_lines:
        raise InvalidInput(N_("Add at least one line."), field="lines")
    if len(raw_lines) > MAX_LINES:
        raise InvalidInput(N_("At most %(max)s lines."), field="lines", max=MAX_LINES)
    lines: list[LineInput] = []
    for index, raw in enumerate(raw_lines):
        try:
            lines.append(_parse_line(raw, index))
        except InvalidInput as exc:
            errors.add(exc)
    return tuple(lines) if len(lines) == len(raw_lines) else None


def _parse_line(raw: object, index: int) -> LineInput:
    if not isinstance(raw, Mapping):
        raise InvalidInput(N_("Each line must be an object."), field=f"lines.{index}")
    errors = FieldErrors()
    if raw.get("service_code") in (None, ""):
        errors.add(InvalidInput(N_("Choose a service."), field=f"lines.{index}.service_code"))
    code = errors.check(
        lambda: validation.text(
            raw.get("service_code"), f"lines.{index}.service_code", max_length=40, required=True
        )
    )
    quantity = errors.check(
        lambda: _amount(parse_quantity_milli, raw.get("quantity", 1), f"lines.{index}.quantity")
    )
    price_raw = raw.get("unit_price")
    price: int | None = None
    if price_raw is not None and price_raw != "":
        price = errors.check(lambda: _amount(parse_cents, price_raw, f"lines.{index}.unit_price"))
    errors.raise_any()
    assert code is not None and quantity is not None
    return LineInput(service_code=code, quantity_milli=quantity, unit_price_cents=price)


def _amount(parse: Any, value: object, field: str) -> int:
    try:
        number: int = parse(value)
    except AmountError as exc:
        exc.field = field
        raise
    return number
