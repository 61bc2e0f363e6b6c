"""The worker's Stripe jobs: apply the webhook inbox, and reconcile with Stripe hourly."""

from __future__ import annotations

from datetime import timedelta

from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from connectors.stripe.client import paced_client
from connectors.stripe.reading import EVENTS_KEPT_DAYS, read_since
from hub.config import get_config
from hub.db import utcnow
from hub.ledger import stripe_inbox
from hub.ledger.stripe_news import HANDLERS, drain
from hub.ledger.stripe_reconcile import reconcile_stripe
from jobs.spec import JobContext, JobFunction, JobSpec, RunCounts

INBOX = "stripe.inbox"
RECONCILE = "stripe.reconcile"
#: Seconds between looks at the inbox: a paid invoice shows on its order this soon.
INBOX_INTERVAL_SECONDS = 3.0


def apply_inbox(ctx: JobContext) -> RunCounts:
    """Apply the received Stripe events; idle (and unrecorded) when there are none."""
    if not stripe_inbox.received_ids(ctx.session, 1):
        return RunCounts()
    ctx.record_start()
    counts = drain(ctx.session, stopping=ctx.stopping.is_set)
    return RunCounts(
        delivered=counts.applied,
        dead=counts.failed,
        note=f"{counts.ignored} ignored" if counts.ignored else None,
    )


def _reconcile(api_key: str, api_base: str, rate: float, live: bool) -> JobFunction:
    def run(ctx: JobContext) -> RunCounts:
        since = utcnow() - timedelta(days=EVENTS_KEPT_DAYS)
        snapshot = read_since(paced_client(api_key, api_base, rate), since, HANDLERS)
        report = reconcile_stripe(ctx.session, snapshot, live=live)
        return RunCounts(
            delivered=report.repaired,
            note=f"{report.repaired} repaired, {report.unresolved} unresolved",
        )

    return run


def stripe_jobs(app: Flask) -> list[JobSpec]:
    """Return the inbox job, and the reconciliation job when a Stripe key is set."""
    cfg = get_config(app).stripe
    specs = [
        JobSpec(
            INBOX,
            apply_inbox,
            IntervalTrigger(seconds=INBOX_INTERVAL_SECONDS),
            "Apply the events Stripe sent (payments, voids, credit notes) to the orders",
            quiet=True,
            start_at_once=True,
        )
    ]
    if cfg.api_key and cfg.reconcile_interval_minutes > 0:
        specs.append(
            JobSpec(
                RECONCILE,
                _reconcile(cfg.api_key, cfg.api_base, cfg.rate, cfg.live),
                IntervalTrigger(minutes=cfg.reconcile_interval_minutes),
                "Compare Stripe's last 30 days with the ledger, repair what webhooks missed",
            )
        )
    return specs
