"""``hub demo clear``: remove the demo data before the hub is used for real."""

from __future__ import annotations

import click

from hub.cli.context import Context, pass_ctx


@click.group("demo")
def demo_group() -> None:
    """Manage the demo data of `hub init --demo`."""


@demo_group.command("clear")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_ctx
def demo_clear(ctx: Context, yes: bool) -> None:
    """Delete the demo's accounts, customers and orders, with their outbox rows.

    Run it before setting a live Stripe key: the demo's waiting orders would go to Stripe.
    """
    from hub.db import get_session
    from hub.demo_clear import clear_demo, find_demo
    from hub.errors import HubError

    with ctx.app.app_context():
        session = get_session()
        try:
            demo = find_demo(session)
            session.rollback()  # end the read; clear_demo opens its own write transaction
            click.echo(
                f"Demo data: {len(demo.users)} account(s), {len(demo.customers)} customer(s), "
                f"{len(demo.orders)} order(s), {demo.outbox_rows} outbox row(s) waiting or sent."
            )
            if not yes:
                click.confirm("Delete them for good?", abort=True)
            cleared = clear_demo(session)
        except HubError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Demo data cleared: {len(cleared.users)} account(s), {len(cleared.customers)} "
        f"customer(s), {len(cleared.orders)} order(s) and their outbox rows. The catalogue and "
        "your own accounts stay. Rows the local workbook already received stay in it."
    )
