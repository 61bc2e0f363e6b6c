"""The ``hub`` console script: schema, users, tokens, the web server and the worker."""

from __future__ import annotations

import sys
from typing import Any

import click
from flask import Flask

from hub.config import ConfigError


class Context:
    """Build the app once, on first use, so ``hub --help`` needs no configuration."""

    def __init__(self) -> None:
        self._app: Flask | None = None
        self.overrides: dict[str, dict[str, Any]] = {}

    @property
    def app(self) -> Flask:
        if self._app is None:
            from hub import create_app

            try:
                self._app = create_app(overrides=self.overrides)
            except ConfigError as exc:
                raise click.ClickException(str(exc)) from exc
        return self._app

    def close(self) -> None:
        """Release the database connections a command opened."""
        if self._app is not None:
            from hub.db import get_db

            get_db(self._app).dispose()


pass_ctx = click.make_pass_decorator(Context, ensure=True)


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """Run and administer the concierge hub."""
    ctx.call_on_close(ctx.ensure_object(Context).close)


@main.command("init")
@click.option("--demo", is_flag=True, help="Also add demo users, customers and orders.")
@pass_ctx
def init_command(ctx: Context, demo: bool) -> None:
    """Create or upgrade the schema and seed the default catalogue."""
    from hub import schema
    from hub.db import get_db, get_session, write_transaction
    from hub.ledger.catalogue import seed_default_catalogue

    with ctx.app.app_context():
        db = get_db()
        before = schema.current_revision(db)
        schema.upgrade(db)
        after = schema.current_revision(db)
        click.echo(f"Schema: {before or 'empty'} -> {after}.")
        session = get_session()
        with write_transaction(session):
            added = seed_default_catalogue(session)
        click.echo(f"Catalogue: {added} service(s) added.")
        if demo:
            from hub import get_config
            from hub.demo import seed_demo

            report = seed_demo(session, progress=click.echo)
            click.echo(report)
            click.echo(f"Sign in at {get_config(ctx.app).hub.base_url}/login.")


@main.group("user")
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
            with write_transaction(session):
                user = accounts.create_user(session, email, role, name=name, password=password)
        except HubError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"Created {user.role} {user.email} (id {user.id}).")


@main.group("token")
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


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int, help="Web worker processes.")
@click.option("--no-worker", is_flag=True, help="Do not run the background worker alongside.")
@pass_ctx
def serve(ctx: Context, host: str, port: int, workers: int, no_worker: bool) -> None:
    """Serve the web app (gunicorn outside debug mode)."""
    from hub.server import run_server

    run_server(ctx.app, host=host, port=port, workers=workers, worker=not no_worker)
