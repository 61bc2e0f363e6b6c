"""The periodic invoicing jobs: last month's (or week's) invoices, decided once per period.

Tried hourly; the period guard (jobs/guards.py) is the billed period itself, the last complete
month or ISO week in the business time zone, so a worker that was down on the 1st catches up,
and ``hub jobs run invoicing.monthly --period 2026-11`` runs a given month again.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from hub.ledger.invoice_periods import previous_period
from hub.ledger.invoicing import invoice_all_left_waiting
from hub.ledger.periodic_invoicing import run_periodic_invoicing
from hub.models import BillingMode
from jobs.spec import JobContext, JobFunction, PeriodFunction, RunCounts

PERIOD_NAMES = {BillingMode.MONTHLY: "month", BillingMode.WEEKLY: "week"}


def previous(mode: BillingMode, timezone: str) -> PeriodFunction:
    """Periods are the last complete month or week before the run, e.g. ``2026-11``."""
    zone = ZoneInfo(timezone)
    return lambda moment: previous_period(mode, moment, zone)


def invoicing_job(mode: BillingMode) -> JobFunction:
    """Return the job that decides the invoices of its period for customers billed by ``mode``."""

    def run(ctx: JobContext) -> RunCounts:
        assert ctx.period is not None, "a periodic job always runs with its period"
        decided = run_periodic_invoicing(ctx.session, mode, ctx.period)
        return RunCounts(note=decided.summary() if decided.customers else None)

    return run


def left_waiting_job(ctx: JobContext) -> RunCounts:
    """Invoice per order the done orders no invoice holds yet (no e-mail then, or older)."""
    count = invoice_all_left_waiting(ctx.session)
    return RunCounts(note=f"invoiced {count} order(s) left waiting" if count else None)
