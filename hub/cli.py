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
        self._schema_checked = False
        self.overrides: dict[str, dict[str, Any]] = {}

    @property
    def unchecked_app(self) -> Flask:
        """Return the app without looking at its schema (``hub init`` creates it)."""
        if self._app is None:
            from hub import create_app

            try:
                self._app = create_app(overrides=self.overrides)
            except ConfigError as exc:
                raise click.ClickException(str(exc)) from exc
        return self._app

    @property
    def app(self) -> Flask:
        """Return the app once its database schema is known to be current."""
        flask_app = self.unchecked_app
        if not self._schema_checked:
            from hub import schema
            from hub.db import get_db

            db = get_db(flask_app)
            current, head = schema.current_revision(db), schema.head_revision(db)
            if current != head:
                raise click.ClickException(
                    f"The database schema is at {current or 'nothing yet'}, not {head}: "
                    "run `hub init` first (it creates or upgrades the schema)."
                )
            self._schema_checked = True
        return flask_app

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

    with ctx.unchecked_app.app_context():
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
            from hub.config import get_config
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
            # Hashed first: argon2 is slow and must not hold SQLite's write lock.
            password_hash = accounts.hash_password(password)
            with write_transaction(session):
                user = accounts.create_user(
                    session, email, role, name=name, password_hash=password_hash
                )
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


@main.command("worker")
@pass_ctx
def worker_command(ctx: Context) -> None:
    """Run the background jobs (outbox delivery, clean-up) until SIGTERM or Ctrl-C."""
    from jobs.worker import run_worker

    # The worker handles SIGTERM before it builds the app, so the app is built there.
    run_worker(lambda: ctx.app)


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


@main.group("outbox")
def outbox_group() -> None:
    """Inspect the outbox and replay dead letters."""


@outbox_group.command("status")
@click.option("--limit", default=20, show_default=True, help="Dead letters to list.")
@pass_ctx
def outbox_status(ctx: Context, limit: int) -> None:
    """Show each connector's queue and the dead letters; exit 1 when there are dead letters."""
    from hub.db import get_session
    from hub.delivery.connectors import connectors_for
    from hub.delivery.status import connector_statuses, dead_letters, outbox_totals

    with ctx.app.app_context():
        session = get_session()
        statuses = connector_statuses(session, connectors_for(), runs_per_connector=1)
        letters = dead_letters(session, limit=limit)
        totals = outbox_totals(session)
    click.echo(
        f"{'connector':<16} {'state':<7} {'backlog':>7} {'oldest':>7} {'last hour':>9} "
        f"{'retrying':>8} {'dead':>5} {'held back':>9}"
    )
    for s in statuses:
        click.echo(
            f"{s.name:<16} {s.state:<7} {s.backlog:>7} {_age(s.oldest_pending_seconds):>7} "
            f"{s.delivered_last_hour:>9} {s.retrying:>8} {s.dead:>5} {s.held_back:>9}"
        )
        if s.message:
            click.echo(f"  {s.state}: {s.message}")
    for letter in letters:
        click.echo(
            f"dead #{letter.id} {letter.connector} {letter.topic} {letter.aggregate_ref} "
            f"after {letter.attempts} attempt(s): {letter.last_error}"
        )
    if totals.dead:
        click.echo(
            f"{totals.dead} dead letter(s); fix the cause, then `hub outbox replay --dead`. "
            "Each one holds back the later events of its order."
        )
        sys.exit(1)


@outbox_group.command("replay")
@click.option("--id", "row_id", type=int, help="Replay this dead letter.")
@click.option("--dead", is_flag=True, help="Replay every dead letter.")
@click.option("--connector", help="With --dead: only this connector's dead letters.")
@pass_ctx
def outbox_replay(ctx: Context, row_id: int | None, dead: bool, connector: str | None) -> None:
    """Send dead letters again, from their first attempt; recorded in the audit history."""
    from hub.db import get_session, write_transaction
    from hub.delivery import control
    from hub.errors import HubError
    from hub.ledger.actor import Actor

    if (row_id is None) == (not dead):
        raise click.UsageError("Give either --id N or --dead.")
    if connector and not dead:
        raise click.UsageError("--connector goes with --dead.")
    with ctx.app.app_context():
        session = get_session()
        actor = Actor.system("cli")
        try:
            with write_transaction(session):
                if row_id is not None:
                    control.replay(session, actor, row_id)
                    count = 1
                else:
                    count = control.replay_dead(session, actor, connector=connector)
        except HubError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"Replayed {count} event(s).")


@main.group("jobs")
def jobs_group() -> None:
    """List and run the background jobs."""


@jobs_group.command("list")
@pass_ctx
def jobs_list(ctx: Context) -> None:
    """List the jobs a worker schedules, with their last run."""
    from hub.db import get_session
    from hub.delivery.status import recent_runs
    from jobs.registry import build_registry

    with ctx.app.app_context():
        session = get_session()
        for spec in build_registry(ctx.app):
            runs = recent_runs(session, job=spec.name, limit=1)
            last = (
                f"last {runs[0].outcome} at {runs[0].started_at:%Y-%m-%d %H:%M:%S}Z"
                if runs
                else "never recorded"
            )
            guard = ", once per period" if spec.period else ""
            click.echo(f"{spec.name:<28} {spec.trigger}{guard}; {last}")
            click.echo(f"  {spec.description}")


@jobs_group.command("run")
@click.argument("name")
@click.option("--period", help="For once-per-period jobs: the period to run (default: now's).")
@pass_ctx
def jobs_run(ctx: Context, name: str, period: str | None) -> None:
    """Run one job now, in this process; exit 1 if it fails."""
    from jobs.registry import UnknownJob, build_registry
    from jobs.runs import run_job

    try:
        spec = build_registry(ctx.app).get(name)
    except UnknownJob as exc:
        raise click.ClickException(str(exc.args[0])) from exc
    result = run_job(ctx.app, spec, period=period)
    if result.outcome == "skipped":
        click.echo(f"{name}: period {result.period} was already taken by another run.")
        return
    counts = result.counts
    click.echo(
        f"{name}: {result.outcome}; delivered {counts.delivered}, retried {counts.retried}, "
        f"dead {counts.dead}" + (f"; {counts.note}" if counts.note else "")
    )
    if result.error:
        click.echo(result.error, err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
