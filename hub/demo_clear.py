"""Remove the demo data of ``hub init --demo`` before real work starts (``hub demo clear``).

The demo is recognised by what ``hub.demo`` writes: its six staff accounts (e-mails at
``@conciergerie.example``, a reserved domain), its customers (names and addresses of
``hub.demo.CUSTOMERS``) and the orders its concierges took for them, with their lines,
history and outbox rows. Nothing else is touched: the catalogue, other users, other customers.

It refuses, deleting nothing, when there is no demo here, when a record that is not demo data
involves a demo customer or account (an order a real concierge took for a demo customer), and
when demo changes were already sent to Stripe (deleting them here would not undo the invoices).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.db import write_transaction
from hub.demo import CUSTOMERS, USERS
from hub.errors import N_, Conflict, NotFound
from hub.models import (
    ApiToken,
    AuditEntry,
    Customer,
    IdempotencyKey,
    Invoice,
    Order,
    OrderEvent,
    OrderLine,
    OutboxRow,
    OutboxStatus,
    User,
)
from hub.models.billing import invoice_key
from hub.models.customers import customer_ref

DEMO_EMAILS = frozenset(email for _, email, _ in USERS)
DEMO_ADMIN = USERS[0][1]


@dataclass(frozen=True)
class DemoData:
    """The ids of the demo's users, customers and orders found in the database."""

    users: tuple[int, ...]
    customers: tuple[int, ...]
    customer_refs: tuple[str, ...]
    orders: tuple[int, ...]
    order_refs: tuple[str, ...]
    outbox_rows: int
    #: The invoices the ledger decided for demo customers (none reached Stripe).
    invoices: tuple[int, ...] = ()


def demo_present(session: Session) -> bool:
    """Tell whether the demo's admin account is here, the mark that ``hub init --demo`` ran."""
    found = session.scalar(sa.select(User.id).where(User.email == DEMO_ADMIN))
    return found is not None


def find_demo(session: Session) -> DemoData:
    """Find the demo's rows; raise NotFound when there are none, Conflict when they are mixed."""
    if not demo_present(session):
        raise NotFound(N_("There is no demo data in this database: nothing to clear."))
    users = tuple(session.scalars(sa.select(User.id).where(User.email.in_(DEMO_EMAILS))))
    pairs = sa.tuple_(Customer.name, Customer.address).in_(CUSTOMERS)
    customer_ids = tuple(session.scalars(sa.select(Customer.id).where(pairs)))
    orders = session.execute(
        sa.select(Order.id, Order.ref).where(
            Order.customer_id.in_(customer_ids), Order.created_by_id.in_(users)
        )
    ).all()
    order_ids = tuple(id_ for id_, _ in orders)
    _refuse_mixed(session, users, customer_ids, order_ids)
    order_refs = tuple(ref for _, ref in orders if ref is not None)
    customer_refs = tuple(customer_ref(id_) for id_ in customer_ids)
    invoices = tuple(
        session.scalars(sa.select(Invoice.id).where(Invoice.customer_id.in_(customer_ids)))
    )
    rows = _outbox_rows(order_refs, customer_refs, invoices)
    sent = session.scalar(
        sa.select(OutboxRow.aggregate_ref)
        .where(rows, OutboxRow.connector == "stripe", OutboxRow.status == OutboxStatus.DELIVERED)
        .limit(1)
    )
    if sent is not None:
        raise Conflict(
            N_(
                "Demo data was already sent to Stripe (%(ref)s): clearing it here would not "
                "undo its invoices. Clear it in Stripe's dashboard (test mode), then start "
                "from a fresh database."
            ),
            ref=sent,
        )
    count = session.scalar(sa.select(sa.func.count()).select_from(OutboxRow).where(rows)) or 0
    return DemoData(users, customer_ids, customer_refs, order_ids, order_refs, count, invoices)


def _refuse_mixed(
    session: Session, users: Collection[int], customers: Collection[int], orders: Collection[int]
) -> None:
    """Refuse when an order that is not demo data involves a demo customer or account."""
    others = sa.not_(Order.id.in_(orders))
    mixed = session.scalar(
        sa.select(Order.ref)
        .where(
            others,
            sa.or_(
                Order.customer_id.in_(customers),
                Order.provider_id.in_(users),
                Order.created_by_id.in_(users),
                sa.select(OrderEvent.id)
                .where(OrderEvent.order_id == Order.id, OrderEvent.actor_id.in_(users))
                .exists(),
            ),
        )
        .limit(1)
    )
    if mixed is not None:
        raise Conflict(
            N_(
                "Order %(ref)s is not demo data but involves a demo customer or account: "
                "nothing was cleared. Cancel or reassign it first, or keep the demo."
            ),
            ref=mixed,
        )


def _outbox_rows(
    order_refs: Collection[str], customer_refs: Collection[str], invoices: Collection[int]
) -> sa.ColumnElement[bool]:
    invoice_keys = [invoice_key(id_) for id_ in invoices]
    return sa.or_(
        sa.and_(OutboxRow.aggregate_type == "order", OutboxRow.aggregate_ref.in_(order_refs)),
        sa.and_(OutboxRow.aggregate_type == "customer", OutboxRow.aggregate_ref.in_(customer_refs)),
        sa.and_(OutboxRow.aggregate_type == "invoice", OutboxRow.aggregate_ref.in_(invoice_keys)),
    )


def clear_demo(session: Session) -> DemoData:
    """Delete the demo's orders, customers, accounts and outbox rows in one transaction."""
    with write_transaction(session):
        demo = find_demo(session)
        statements = (
            sa.delete(OutboxRow).where(
                _outbox_rows(demo.order_refs, demo.customer_refs, demo.invoices)
            ),
            sa.delete(OrderEvent).where(OrderEvent.order_id.in_(demo.orders)),
            sa.delete(OrderLine).where(OrderLine.order_id.in_(demo.orders)),
            sa.delete(Order).where(Order.id.in_(demo.orders)),
            sa.delete(Invoice).where(Invoice.id.in_(demo.invoices)),
            sa.delete(Customer).where(Customer.id.in_(demo.customers)),
            # The audit keeps its entries, with the label of who acted.
            sa.update(AuditEntry).where(AuditEntry.actor_id.in_(demo.users)).values(actor_id=None),
            sa.delete(ApiToken).where(ApiToken.user_id.in_(demo.users)),
            sa.delete(IdempotencyKey).where(IdempotencyKey.user_id.in_(demo.users)),
            sa.delete(User).where(User.id.in_(demo.users)),
        )
        for statement in statements:
            session.execute(statement.execution_options(synchronize_session=False))
    return demo
