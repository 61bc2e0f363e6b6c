"""``hub user``: create users."""

from __future__ import annotations

import sys

import click

from hub.cli.context import Context, pass_ctx


@click.group("user")
def user_group() -> None:
    """Manage users."""


@user_group.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(["admin", "concierge", "provider"]), required=True)
@click.option("--name", default=None, help="Display name (defaults to the e-mail's local part).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_ctx
def user_create(
    ctx: Context, email: str, role: str, name: str | None, password_stdin: bool
) -> None:
    """Create a user; without --password-stdin, ask for the password twice."""
    from hub import accounts
    from hub.db import get_session, write_transaction
    from hub.errors import HubError

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not password:
        # An empty line on stdin is a mistake, not a wish for a user who cannot sign in.
        raise click.ClickException("No password given: pass one on standard input.")
    with ctx.app.app_context():
        session = get_session()
        try:
            # Hashed first: argon2 is slow and must not hold SQLite's write lock.
            password_hash = accounts.passwords(ctx.app).hash(password)
            with write_transaction(session):
                user = accounts.create_user(
                    session, email, role, name=name, password_hash=password_hash
                )
        except HubError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"Created {user.role} {user.email} (id {user.id}).")
