"""Billing rules: what an order needs before it is billed, and news that moves its billing."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from hub.errors import N_, InvalidInput
from hub.ledger import states
from hub.ledger.actor import Actor
from hub.ledger.history import record_change
from hub.ledger.order_access import get_order
from hub.models import BillingStatus, Order
from hub.sql import use_case

#: Billing moves that hand the order to the billing system, which e-mails the invoice.
_BILLING_STARTS = frozenset({BillingStatus.PENDING, BillingStatus.INVOICED})


def check_billable(order: Order) -> None:
    """Refuse to bill an order whose customer has no e-mail to send the invoice to."""
    if not order.customer.email:
        raise InvalidInput(
            N_(
                "Order %(ref)s cannot be billed: customer %(customer)s has no e-mail. "
                "Add an e-mail to the customer, then bill the order."
            ),
            ref=order.ref or "",
            customer=order.customer.name,
        )


def starts_billing(current: str, target: str) -> bool:
    """Tell whether a billing move takes an unbilled order into billing."""
    return current == BillingStatus.UNBILLED and target in _BILLING_STARTS


@use_case
def apply_billing_news(
    session: Session, actor: Actor, ref: str, target: str, details: dict[str, Any] | None = None
) -> bool:
    """Move billing forward on news from the billing system; stale news changes nothing."""
    return move_billing(session, get_order(session, ref), actor, target, details)


def move_billing(
    session: Session,
    order: Order,
    actor: Actor,
    target: str,
    details: dict[str, Any] | None = None,
) -> bool:
    """Move an order's billing in the caller's transaction; a stale or no-op move writes nothing.

    The one place billing moves (history line, order.billing_changed row): news from Stripe,
    the ledger's own invoicing decisions and the facts a delivery brings back all come here.
    """
    if order.billing_status == target or not states.billing_allows(order.billing_status, target):
        return False
    if starts_billing(order.billing_status, target):
        check_billable(order)
    previous = order.billing_status
    order.billing_status = BillingStatus(target)
    record_change(
        session,
        order,
        actor,
        f"billing_{target}",
        "order.billing_changed",
        from_billing=previous,
        changes=details or {},
    )
    return True
