"""``hub init``: the only command that may create a database."""

from __future__ import annotations

import click

from hub.cli.context import Context, describe_database, pass_ctx


@click.command("init")
@click.option("--demo", is_flag=True, help="Also add demo users, customers and orders.")
@pass_ctx
def init_command(ctx: Context, demo: bool) -> None:
    """Create or upgrade the schema and seed the default catalogue."""
    from hub import schema
    from hub.config import get_config
    from hub.db import get_db, get_session, write_transaction
    from hub.ledger.catalogue import seed_default_catalogue

    flask_app = ctx.new_or_existing_app
    with flask_app.app_context():
        db = get_db()
        click.echo(f"Database: {describe_database(db.url)}")
        before = schema.current_revision(db)
        schema.upgrade(db)
        after = schema.current_revision(db)
        click.echo(f"Schema: {before or 'empty'} -> {after}.")
        session = get_session()
        with write_transaction(session):
            added = seed_default_catalogue(session)
        click.echo(f"Catalogue: {added} service(s) added.")
        if demo:
            from hub.accounts import passwords
            from hub.demo import seed_demo

            report = seed_demo(session, progress=click.echo, passwords=passwords(flask_app))
            click.echo(report)
            click.echo(f"Sign in at {get_config(flask_app).hub.base_url}/login.")
