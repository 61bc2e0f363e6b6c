"""Rules an order must meet before it can be billed."""

from __future__ import annotations

from hub.errors import N_, InvalidInput
from hub.models import BillingStatus, Order

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
