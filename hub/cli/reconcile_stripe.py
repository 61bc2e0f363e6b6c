"""``hub reconcile stripe``: compare Stripe's invoices, credit notes and events with the ledger."""

from __future__ import annotations

import sys
from datetime import date, datetime, time, timedelta

import click

from hub.cli.context import Context, pass_ctx
from hub.cli.reconcile import reconcile_group


def _since(text: str | None, zone_name: str) -> datetime:
    from zoneinfo import ZoneInfo

    from connectors.stripe.reading import EVENTS_KEPT_DAYS
    from hub.sql import utcnow

    if text is None:
        return utcnow() - timedelta(days=EVENTS_KEPT_DAYS)
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise click.BadParameter(f"{text!r} is not a date like 2026-11-01.") from exc
    # Midnight where the business is, as people mean "since the 1st".
    return datetime.combine(day, time(), ZoneInfo(zone_name))


@reconcile_group.command("stripe")
@click.option("--since", "since_text", metavar="YYYY-MM-DD", help="Look back to this day.")
@pass_ctx
def reconcile_stripe_command(ctx: Context, since_text: str | None) -> None:
    """Repair what Stripe's webhooks missed and report the rest; exit 1 while drift remains."""
    from connectors.stripe.client import paced_client
    from connectors.stripe.reading import read_since
    from hub.config import env_var, get_config
    from hub.db import get_session
    from hub.ledger.stripe_news import HANDLERS
    from hub.ledger.stripe_reconcile import describe, reconcile_stripe

    cfg = get_config(ctx.app)
    if not cfg.stripe.api_key:
        raise click.ClickException(
            f"Stripe is not set up: set {env_var('stripe', 'api_key')} (api_key under [stripe])."
        )
    since = _since(since_text, cfg.hub.timezone)
    client = paced_client(cfg.stripe.api_key, cfg.stripe.api_base, cfg.stripe.rate)
    snapshot = read_since(client, since, HANDLERS)
    with ctx.app.app_context():
        report = reconcile_stripe(get_session(), snapshot, live=cfg.stripe.live)
        details = dict(report.details)
        repaired, unresolved = report.repaired, report.unresolved
    seen = details.get("seen", {})
    click.echo(
        f"Stripe since {since.date().isoformat()}: {seen.get('invoices', 0)} invoice(s), "
        f"{seen.get('credit_notes', 0)} credit note(s), {seen.get('events', 0)} event(s) "
        "with hub metadata."
    )
    for item in details.get("repairs", []):
        click.echo(f"repaired: {describe(item)}")
    if details.get("events_recovered"):
        click.echo(f"recovered: {details['events_recovered']} event(s) the webhooks missed.")
    for item in details.get("drift", []):
        click.echo(f"drift: {describe(item)}")
    click.echo(f"{repaired} repaired, {unresolved} unresolved.")
    if unresolved:
        sys.exit(1)
