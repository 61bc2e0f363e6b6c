"""``hub invoice run``: decide a month's (or a week's) invoices by hand, as the job does."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from hub.cli.context import Context, pass_ctx

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar

    from hub.ledger.periodic_invoicing import CustomerInvoicing


@click.group("invoice")
def invoice_group() -> None:
    """Decide periodic invoices (Stripe issues them from the outbox)."""


@invoice_group.command("run")
@click.option(
    "--mode",
    type=click.Choice(["monthly", "weekly"]),
    default="monthly",
    show_default=True,
    help="Which customers to invoice: those billed monthly, or weekly.",
)
@click.option(
    "--period",
    help="The month (2026-11) or ISO week (2026-W48); default: the last complete one.",
)
@pass_ctx
def invoice_run(ctx: Context, mode: str, period: str | None) -> None:
    """Invoice the done, unbilled orders of a period, one invoice per customer."""
    from hub.db import business_zone, get_session, utcnow
    from hub.errors import InvalidInput
    from hub.ledger.invoice_periods import previous_period
    from hub.ledger.periodic_invoicing import run_periodic_invoicing
    from hub.models import BillingMode
    from hub.money import format_cents

    billing_mode = BillingMode(mode)
    decided: list[CustomerInvoicing] = []
    with ctx.app.app_context():
        session = get_session()
        chosen = period or previous_period(billing_mode, utcnow(), business_zone(session))
        bar: ProgressBar[int]
        with click.progressbar(length=1, label="Customers", file=sys.stderr) as bar:

            def progress(outcome: CustomerInvoicing, total: int) -> None:
                bar.length = total
                decided.append(outcome)
                bar.update(1)

            try:
                run = run_periodic_invoicing(session, billing_mode, chosen, progress)
            except InvalidInput as exc:
                raise click.BadParameter(str(exc), param_hint="--period") from exc
    for outcome in decided:
        for invoice in outcome.invoices:
            click.echo(
                f"{outcome.customer_ref} {outcome.customer_name}: {invoice.key}, "
                f"{invoice.orders} order(s), {invoice.lines} line(s), "
                f"{format_cents(invoice.total_cents, 'en')}"
            )
        if outcome.skipped:
            click.echo(
                f"{outcome.customer_ref} {outcome.customer_name}: skipped: {outcome.skipped}"
            )
    click.echo(run.summary())
