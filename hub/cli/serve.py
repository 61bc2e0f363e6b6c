"""``hub serve``: the web app, with the embedded worker as a child process.

With ``--sandbox`` the Stripe emulator (and the Sheets one with the Google backend) runs beside
it, on loopback, and the hub is pointed at it for as long as it serves.
"""

from __future__ import annotations

import os

import click

from hub.cli.context import Context, pass_ctx
from hub.sandbox_mode import STRIPE_PORT


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int, help="Web worker processes.")
@click.option("--no-worker", is_flag=True, help="Do not run the background worker alongside.")
@click.option(
    "--sandbox",
    is_flag=True,
    help="Run local emulators of Stripe (and of Google Sheets with the google backend) and "
    "point the hub at them: for demos and training, no real payment is made.",
)
@click.option(
    "--sandbox-port",
    default=STRIPE_PORT,
    show_default=True,
    type=int,
    help="Port of the Stripe emulator with --sandbox (its payment pages are there).",
)
@pass_ctx
def serve(
    ctx: Context,
    host: str,
    port: int,
    workers: int,
    no_worker: bool,
    sandbox: bool,
    sandbox_port: int,
) -> None:
    """Serve the web app (gunicorn outside debug mode)."""
    from hub.server import run_server

    if not sandbox:
        run_server(ctx.app, host=host, port=port, workers=workers, worker=not no_worker)
        return

    from hub.sandbox_mode import SandboxError, start_sandbox, state_file_for

    cfg = ctx.config
    try:
        box = start_sandbox(
            cfg, host=host, port=port, stripe_port=sandbox_port, state_file=state_file_for(cfg)
        )
    except SandboxError as exc:
        raise click.ClickException(str(exc)) from exc
    owner = os.getpid()
    try:
        ctx.add_overrides(box.overrides)
        app = ctx.app
        for line in box.summary():
            click.echo(line)
        if no_worker or not cfg.jobs.embedded:
            click.echo(
                "  No embedded worker: a separate `hub worker` does not know the sandbox, so "
                "nothing is invoiced. Drop --no-worker (and keep [jobs] embedded on).",
                err=True,
            )
        run_server(app, host=host, port=port, workers=workers, worker=not no_worker)
    finally:
        # gunicorn's web workers are forks that leave through here too: only the process
        # that started the emulators stops them (and writes their account).
        if os.getpid() == owner:
            box.stop()
