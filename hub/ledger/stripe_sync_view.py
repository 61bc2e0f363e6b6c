"""What the outbox page shows of Stripe's side: the last reconciliation and the inbox's state."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.ledger.stripe_inbox import inbox_counts
from hub.ledger.stripe_reconcile import last_report
from hub.models import InboxStatus, ReconcileReport, StripeEvent

#: Failed events listed on the page; the count covers them all.
FAILED_SHOWN = 10


@dataclass(frozen=True)
class StripeSync:
    report: ReconcileReport | None
    waiting: int
    failed: int
    failed_events: list[StripeEvent]


def stripe_sync(session: Session) -> StripeSync:
    """Return the last Stripe reconciliation report and the webhook inbox's counts."""
    counts = inbox_counts(session)
    failed = list(
        session.scalars(
            sa.select(StripeEvent)
            .where(StripeEvent.status == InboxStatus.FAILED)
            .order_by(StripeEvent.id.desc())
            .limit(FAILED_SHOWN)
        )
    )
    return StripeSync(
        report=last_report(session),
        waiting=counts.get(InboxStatus.RECEIVED, 0),
        failed=counts.get(InboxStatus.FAILED, 0),
        failed_events=failed,
    )
