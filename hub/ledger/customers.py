"""Create, edit and find customers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from connectors.payloads import CustomerChanged
from hub.errors import N_, FieldErrors, InvalidInput, NotFound, StaleEdit
from hub.ledger import invoicing, validation
from hub.ledger.actor import Actor, require_staff
from hub.ledger.outbox import enqueue
from hub.ledger.search import customer_ids_matching, search_key
from hub.ledger.snapshots import customer_info
from hub.models import BillingMode, Customer
from hub.sql import use_case, utcnow


@dataclass(frozen=True)
class CustomerInput:
    name: str
    email: str | None
    phone: str | None
    address: str | None
    notes: str | None

    @classmethod
    def parse(cls, data: Mapping[str, Any], *, prefix: str = "") -> CustomerInput:
        """Validate raw form or JSON fields; one InvalidInput names every bad field."""
        errors = FieldErrors()

        def check(parse: Callable[[object, str], str | None], name: str) -> str | None:
            return errors.check(lambda: parse(data.get(name), prefix + name))

        name = check(partial(validation.text, max_length=200, required=True), "name")
        email = check(validation.email, "email")
        phone = check(validation.phone, "phone")
        address = check(partial(validation.text, max_length=500), "address")
        notes = check(partial(validation.text, max_length=2000), "notes")
        errors.raise_any()
        assert name is not None
        return cls(name=name, email=email, phone=phone, address=address, notes=notes)


@use_case
def create_customer(session: Session, data: CustomerInput) -> Customer:
    """Add a customer and its customer.upserted event, in one commit."""
    customer = Customer(
        name=data.name,
        email=data.email,
        phone=data.phone,
        address=data.address,
        notes=data.notes,
        search_key=search_key(data.name, data.email, data.phone),
    )
    session.add(customer)
    session.flush()
    _announce(session, customer)
    return customer


def _announce(session: Session, customer: Customer) -> None:
    """Write the customer.upserted row that carries the customer to Stripe."""
    enqueue(
        session,
        "customer.upserted",
        "customer",
        customer.ref,
        CustomerChanged(customer=customer_info(customer)),
    )


@use_case
def update_customer(
    session: Session, customer_id: int, data: CustomerInput, *, expected_version: int | None
) -> Customer:
    """Change a customer's details unless someone else changed them first."""
    customer = get_customer(session, customer_id)
    if expected_version is not None and customer.version != expected_version:
        raise StaleEdit(
            N_("Someone else changed this customer meanwhile. Review it, then save again.")
        )
    customer.name = data.name
    customer.email = data.email
    customer.phone = data.phone
    customer.address = data.address
    customer.notes = data.notes
    customer.search_key = search_key(data.name, data.email, data.phone)
    customer.updated_at = utcnow()
    session.flush()
    # An e-mail added now lets the orders done without one be invoiced.
    invoicing.invoice_orders_left_waiting(session, customer)
    _announce(session, customer)
    return customer


def get_customer(session: Session, customer_id: int) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(N_("No customer %(id)s."), id=customer_id)
    return customer


def search_customers(
    session: Session, query: str = "", *, limit: int = 20, after_id: int | None = None
) -> list[Customer]:
    """Find customers whose name, e-mail or phone holds every word of the query, newest first."""
    stmt = sa.select(Customer)
    matching = customer_ids_matching(session, query)
    if matching is not None:
        stmt = stmt.where(Customer.id.in_(matching))
    if after_id is not None:
        stmt = stmt.where(Customer.id < after_id)
    stmt = stmt.order_by(Customer.id.desc()).limit(limit)
    return list(session.scalars(stmt))


def parse_billing_mode(value: object) -> BillingMode | None:
    """Read a billing-mode choice: empty (or "default") for the hub's, else a known mode."""
    text = str(value or "").strip()
    if text in ("", "default"):
        return None
    try:
        return BillingMode(text)
    except ValueError:
        raise InvalidInput(
            N_("Choose how this customer is billed: per order, monthly or weekly."),
            field="billing_mode",
        ) from None


@use_case
def set_billing_mode(
    session: Session,
    actor: Actor,
    customer_id: int,
    mode: BillingMode | None,
    *,
    expected_version: int | None = None,
) -> Customer:
    """Bill a customer per order, monthly or weekly, or (None) as the hub's [stripe] setting says.

    Orders already invoiced keep their invoice; the new mode applies to orders done from now
    on, and to done orders not yet on any invoice: at the next periodic run, or at once for
    per-order billing.
    """
    require_staff(actor)
    customer = get_customer(session, customer_id)
    if expected_version is not None and customer.version != expected_version:
        raise StaleEdit(
            N_("Someone else changed this customer meanwhile. Review it, then save again.")
        )
    if customer.billing_mode != mode:
        customer.billing_mode = mode
        customer.updated_at = utcnow()
        session.flush()
        invoicing.invoice_orders_left_waiting(session, customer)
    return customer
