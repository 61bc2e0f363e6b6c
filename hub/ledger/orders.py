"""Take and edit orders: validate what was typed, price the lines, record the order."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.errors import N_, FieldErrors, InvalidInput
from hub.ledger import states
from hub.ledger.actor import Actor, require_staff
from hub.ledger.customers import create_customer
from hub.ledger.fulfilment import schedule_order
from hub.ledger.history import check_version, record_change
from hub.ledger.order_access import active_provider, get_order
from hub.ledger.order_input import EDITABLE_FIELDS, MAX_LINES, parse_fields

# Re-exported: callers build OrderInput next to the create/update functions that take it.
from hub.ledger.order_input import LineInput as LineInput
from hub.ledger.order_input import OrderInput as OrderInput
from hub.ledger.order_lines import build_lines, not_orderable, orderable_services, unchanged
from hub.ledger.snapshots import order_snapshot
from hub.models import (
    BillingStatus,
    Customer,
    Order,
    OrderStatus,
)
from hub.sql import business_zone, utcnow, write_transaction

# -- writing -------------------------------------------------------------------------------


def order_reference(order_id: int, created_at: datetime, zone: tzinfo) -> str:
    """Name an order by the business's calendar year of its creation and its number."""
    return f"C-{created_at.astimezone(zone).year}-{order_id:06d}"


def _next_order_id(session: Session) -> int:
    """Take the new order's id before its insert, so its reference goes in the same statement."""
    if session.get_bind().dialect.name == "postgresql":
        sequence = sa.func.pg_get_serial_sequence(Order.__tablename__, "id")
        return int(session.scalar(sa.select(sa.func.nextval(sequence))) or 0)
    # SQLite: write transactions begin IMMEDIATE, so no other writer can take this id meanwhile.
    return int(session.scalar(sa.select(sa.func.max(Order.id))) or 0) + 1


def _customer(session: Session, data: OrderInput) -> Customer:
    if data.new_customer is not None:
        return create_customer(session, data.new_customer)
    customer = session.get(Customer, data.customer_id) if data.customer_id is not None else None
    if customer is None:
        raise InvalidInput(N_("No customer %(id)s."), field="customer_id", id=data.customer_id)
    return customer


def place_order(
    session: Session, actor: Actor, data: Mapping[str, Any], *, local_zone: tzinfo | None = None
) -> Order:
    """Validate raw order data (every bad field at once) and record the order, in one commit.

    The data may carry a new customer (``customer``: name, e-mail, ...) instead of a
    ``customer_id``; the customer is then created with the order, or not at all.
    """
    require_staff(actor)
    try:
        parsed = OrderInput.parse(data, local_zone=local_zone)
    except InvalidInput as exc:
        raise _with_unknown_services(session, data, exc) from None
    return create_order(session, actor, parsed)


def _with_unknown_services(
    session: Session, data: Mapping[str, Any], found: InvalidInput
) -> InvalidInput:
    """Add the lines whose service cannot be ordered to the errors found, so all show at once."""
    raw_lines = data.get("lines")
    if not isinstance(raw_lines, list) or len(raw_lines) > MAX_LINES:
        return found
    codes = {
        position: raw["service_code"].strip()
        for position, raw in enumerate(raw_lines)
        if isinstance(raw, Mapping)
        and isinstance(raw.get("service_code"), str)
        and f"lines.{position}.service_code" not in found.errors
        and 0 < len(raw["service_code"].strip()) <= 40
    }
    if not codes:
        return found
    services = orderable_services(session, codes.values())
    errors = FieldErrors()
    errors.add(found)
    for position, code in codes.items():
        if code not in services:
            errors.add(not_orderable(position, code))
    return InvalidInput.of(errors.errors)


def create_order(session: Session, actor: Actor, data: OrderInput) -> Order:
    """Record a new order with its lines, history and outbox rows, in one commit."""
    require_staff(actor)
    with write_transaction(session):
        errors = FieldErrors()
        customer = errors.check(lambda: _customer(session, data))
        provider = errors.check(lambda: active_provider(session, data.provider_id))
        lines = errors.check(lambda: build_lines(session, data.lines))
        errors.raise_any()
        assert customer is not None and lines is not None
        now = utcnow()
        order_id = _next_order_id(session)
        ref = order_reference(order_id, now, business_zone(session))
        order = Order(
            id=order_id,
            ref=ref,
            customer=customer,
            provider=provider,
            created_by_id=actor.user_id,
            scheduled_at=data.scheduled_at,
            notes=data.notes,
            status=OrderStatus.NEW,
            billing_status=BillingStatus.UNBILLED,
            lines=lines,
            total_cents=sum(line.amount_cents for line in lines),
            vat_cents=sum(line.vat_cents for line in lines),
            created_at=now,
            currency="eur",
            version=1,
        )
        session.add(order)
        record_change(session, order, actor, "created", "order.created", status_changed=True)
        if provider is not None and data.scheduled_at is not None:
            schedule_order(session, actor, ref, data.scheduled_at, provider.id)
    return order


def patch_order(
    session: Session,
    actor: Actor,
    ref: str,
    changes: Mapping[str, Any],
    *,
    expected_version: int | None,
) -> Order:
    """Apply the fields a client sent to the stored order; a change to nothing writes nothing.

    Fields other than EDITABLE_FIELDS (unknown, or kept by the ledger such as ``status``) are
    refused by name, with every bad value, before anything is read.
    """
    require_staff(actor)
    errors = FieldErrors()
    for name in changes:
        if name not in EDITABLE_FIELDS:
            errors.add(InvalidInput(N_("This field cannot be changed here."), field=str(name)[:60]))
    present = tuple(name for name in EDITABLE_FIELDS if name in changes)
    parsed = parse_fields(changes, present, errors)
    errors.raise_any()
    with write_transaction(session):
        order = get_order(session, ref)
        check_version(order, expected_version)
        stored_lines = tuple(
            LineInput(line.service_code, line.quantity_milli, line.unit_price_cents)
            for line in order.lines
        )
        data = OrderInput(
            customer_id=parsed.get("customer_id", order.customer_id),
            lines=parsed.get("lines", stored_lines),
            scheduled_at=parsed.get("scheduled_at", order.scheduled_at),
            provider_id=parsed.get("provider_id", order.provider_id),
            notes=parsed.get("notes", order.notes),
        )
        return update_order(session, actor, ref, data, expected_version=expected_version)


def revise_order(
    session: Session,
    actor: Actor,
    ref: str,
    data: Mapping[str, Any],
    *,
    expected_version: int | None,
    local_zone: tzinfo | None = None,
) -> Order:
    """Validate a whole order as typed again (every bad field at once) and store it."""
    require_staff(actor)
    parsed = OrderInput.parse(data, local_zone=local_zone)
    return update_order(session, actor, ref, parsed, expected_version=expected_version)


def _same(order: Order, data: OrderInput) -> bool:
    """Tell whether the input would leave the order exactly as it is."""
    return (
        data.notes == order.notes
        and data.scheduled_at == order.scheduled_at
        and data.provider_id == order.provider_id
        and len(data.lines) == len(order.lines)
        and all(unchanged(line, was) for line, was in zip(data.lines, order.lines, strict=True))
    )


def update_order(
    session: Session, actor: Actor, ref: str, data: OrderInput, *, expected_version: int | None
) -> Order:
    """Replace an open, unbilled order's lines, notes, time and provider; no change, no write."""
    require_staff(actor)
    with write_transaction(session):
        order = get_order(session, ref)
        check_version(order, expected_version)
        if not states.is_editable(order.status, order.billing_status):
            raise InvalidInput(N_("Only open, unbilled orders can be edited."))
        if data.customer_id != order.customer_id:
            raise InvalidInput(N_("The customer of an order cannot change."), field="customer_id")
        if _same(order, data):
            return order
        # The current provider stays acceptable even if deactivated since it was chosen.
        if data.provider_id is not None and data.provider_id == order.provider_id:
            provider = order.provider
        else:
            provider = active_provider(session, data.provider_id)
        # A scheduled mission keeps a time and a provider; to drop them, cancel and re-order.
        if order.status == OrderStatus.SCHEDULED:
            if data.scheduled_at is None:
                raise InvalidInput(
                    N_("A scheduled order needs a date and time."), field="scheduled_at"
                )
            if provider is None:
                raise InvalidInput(N_("A scheduled order needs a provider."), field="provider_id")
        before = order_snapshot(order)
        order.lines = build_lines(session, data.lines, list(order.lines))
        order.total_cents = sum(line.amount_cents for line in order.lines)
        order.vat_cents = sum(line.vat_cents for line in order.lines)
        order.notes = data.notes
        order.scheduled_at = data.scheduled_at
        order.provider = provider
        # No flush here: _record flushes once, so the edit is one UPDATE and one version step.
        after = order_snapshot(order)
        changed = {
            key: {"from": before[key], "to": after[key]}
            for key in ("total_cents", "notes", "scheduled_at", "provider", "lines")
            if before[key] != after[key]
        }
        record_change(session, order, actor, "edited", "order.updated", changes=changed)
    return order
