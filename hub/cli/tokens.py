"""``hub token``: create API tokens."""

from __future__ import annotations

import click

from hub.cli.context import Context, pass_ctx


@click.group("token")
def token_group() -> None:
    """Manage API tokens."""


@token_group.command("create")
@click.argument("email")
@click.option("--label", default="cli", help="A note to recognise the token by.")
@pass_ctx
def token_create(ctx: Context, email: str, label: str) -> None:
    """Print a new API token for the user; it is shown only this once."""
    from hub import accounts
    from hub.db import get_session, write_transaction

    with ctx.app.app_context():
        session = get_session()
        user = accounts.find_user(session, email)
        if user is None or not user.active:
            raise click.ClickException(f"No active user {email}.")
        with write_transaction(session):
            token = accounts.create_token(session, user, label)
        click.echo(token)
