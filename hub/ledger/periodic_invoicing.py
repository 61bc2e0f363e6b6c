"""Monthly and weekly invoicing: which done, unbilled orders of each customer go on one invoice.

Each customer is decided in its own transaction: its orders of the period turn ``pending``
(history line and order.billing_changed row), point at their invoice, and the invoice's
frozen lines go out in one invoice.requested row. A run is idempotent: an order that has an
invoice is never picked again, so running a period twice bills it once; an order cancelled
before the run is not done, so it is never billed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from hub.errors import InvalidInput
from hub.ledger import invoice_lines, invoicing
from hub.ledger.actor import Actor
from hub.ledger.billing import check_billable, move_billing
from hub.ledger.billing_settings import billing_settings
from hub.ledger.invoice_periods import period_bounds
from hub.models import BillingMode, BillingStatus, Customer, Order, OrderStatus
from hub.sql import business_zone, write_transaction

INVOICING = Actor.system("invoicing")


@dataclass(frozen=True)
class InvoiceDecided:
    key: str
    orders: int
    lines: int
    total_cents: int


@dataclass(frozen=True)
class CustomerInvoicing:
    """What a run decided for one customer: its invoices, or why it was skipped."""

    customer_id: int
    customer_ref: str
    customer_name: str
    invoices: tuple[InvoiceDecided, ...] = ()
    skipped: str | None = None


@dataclass
class InvoicingRun:
    """What a periodic run decided, customer by customer."""

    mode: BillingMode
    period: str
    customers: list[CustomerInvoicing] = field(default_factory=list)

    @property
    def invoices(self) -> int:
        return sum(len(c.invoices) for c in self.customers)

    @property
    def orders(self) -> int:
        return sum(i.orders for c in self.customers for i in c.invoices)

    @property
    def skipped(self) -> list[CustomerInvoicing]:
        return [c for c in self.customers if c.skipped]

    def summary(self) -> str:
        return (
            f"{self.mode.value} {self.period}: {self.invoices} invoice(s) for {self.orders} "
            f"order(s), {len(self.skipped)} customer(s) skipped"
        )


#: Called after each customer with what was decided and how many customers the run has.
Progress = Callable[[CustomerInvoicing, int], None]


def _due(mode: BillingMode, session: Session, period: str) -> sa.ColumnElement[bool]:
    start, end = period_bounds(mode, period, business_zone(session))
    own = Customer.billing_mode == mode
    if billing_settings(session).mode == mode:
        own = sa.or_(own, Customer.billing_mode.is_(None))
    return sa.and_(
        Order.status == OrderStatus.DONE,
        Order.billing_status == BillingStatus.UNBILLED,
        Order.invoice_id.is_(None),
        Order.completed_at >= start,
        Order.completed_at < end,
        own,
    )


def customers_due(session: Session, mode: BillingMode, period: str) -> list[int]:
    """Return the customers with done, unbilled, uninvoiced orders in the period, in id order."""
    stmt = (
        sa.select(Order.customer_id)
        .join(Customer, Customer.id == Order.customer_id)
        .where(_due(mode, session, period))
        .distinct()
        .order_by(Order.customer_id)
    )
    return list(session.scalars(stmt))


def invoice_customer(
    session: Session, customer_id: int, mode: BillingMode, period: str
) -> CustomerInvoicing:
    """Decide one customer's invoices of the period, in one transaction."""
    with write_transaction(session):
        customer = session.get_one(Customer, customer_id)
        orders = list(
            session.scalars(
                sa.select(Order)
                .join(Customer, Customer.id == Order.customer_id)
                .where(Order.customer_id == customer_id, _due(mode, session, period))
                .options(selectinload(Order.lines))
                .order_by(Order.completed_at, Order.id)
                # Two runs at once (a hand run beside the job): the second waits, then finds
                # the orders invoiced and leaves them (PostgreSQL; SQLite writers take turns).
                .with_for_update(of=Order)
            ).unique()
        )
        done = CustomerInvoicing(customer.id, customer.ref, customer.name)
        if not orders:
            return done
        try:
            check_billable(orders[0])
        except InvalidInput as exc:
            return CustomerInvoicing(customer.id, customer.ref, customer.name, skipped=str(exc))
        counts = {order.id: len(order.lines) for order in orders}
        decided = []
        for group in invoice_lines.batches(orders, counts):
            invoice = invoicing.new_invoice(session, customer, mode, period)
            for order in group:
                # Set just before the move, so each order is written (and versioned) once.
                order.invoice = invoice
                move_billing(session, order, INVOICING, BillingStatus.PENDING, {"period": period})
            payload = invoicing.request_invoice(session, invoice, customer, group)
            decided.append(
                InvoiceDecided(invoice.key, len(group), len(payload.lines), payload.total_cents)
            )
        return CustomerInvoicing(customer.id, customer.ref, customer.name, tuple(decided))


def run_periodic_invoicing(
    session: Session, mode: BillingMode | str, period: str, progress: Progress | None = None
) -> InvoicingRun:
    """Invoice every customer billed by this mode for the period's done, unbilled orders."""
    mode = BillingMode(mode)
    period = period.strip()
    period_bounds(mode, period, business_zone(session))  # refuse a bad period before any work
    run = InvoicingRun(mode, period)
    due = customers_due(session, mode, period)
    for customer_id in due:
        outcome = invoice_customer(session, customer_id, mode, period)
        run.customers.append(outcome)
        if progress is not None:
            progress(outcome, len(due))
    return run
