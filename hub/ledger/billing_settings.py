"""The [stripe] settings billing decisions need, read from the session as the time zone is.

The ledger has no Flask: ``hub.db.Database`` puts these settings in every session's ``info``
(beside ``timezone``), and this module reads them back, with the documented defaults when a
session was made without them (a bare engine in a script or a test).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal, cast

from sqlalchemy.orm import Session

from hub.models import BillingMode, Customer

#: The key of the billing settings in ``Session.info``.
SESSION_KEY = "billing"

RefundTo = Literal["refund", "customer_balance"]


@dataclass(frozen=True)
class BillingSettings:
    """How the hub bills: ``[stripe]`` billing_mode, collection and timing, refunds."""

    billing_mode: str = "per_order"
    collection_method: str = "send_invoice"
    days_until_due: int = 14
    per_order_delay_minutes: float = 15.0
    refund_to: str = "customer_balance"

    @property
    def mode(self) -> BillingMode:
        return BillingMode(self.billing_mode)

    @property
    def per_order_delay(self) -> timedelta:
        return timedelta(minutes=self.per_order_delay_minutes)

    @property
    def refund_target(self) -> RefundTo:
        return cast(RefundTo, self.refund_to)


def billing_settings(session: Session) -> BillingSettings:
    """Return the session's billing settings, the defaults if it carries none."""
    found = session.info.get(SESSION_KEY)
    return found if isinstance(found, BillingSettings) else BillingSettings()


def effective_mode(session: Session, customer: Customer) -> BillingMode:
    """Return how a customer is billed: their own mode, else the hub's [stripe] billing_mode."""
    return customer.billing_mode or billing_settings(session).mode
