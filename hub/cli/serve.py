"""``hub serve``: the web app, with the embedded worker as a child process."""

from __future__ import annotations

import click

from hub.cli.context import Context, pass_ctx


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int, help="Web worker processes.")
@click.option("--no-worker", is_flag=True, help="Do not run the background worker alongside.")
@pass_ctx
def serve(ctx: Context, host: str, port: int, workers: int, no_worker: bool) -> None:
    """Serve the web app (gunicorn outside debug mode)."""
    from hub.server import run_server

    run_server(ctx.app, host=host, port=port, workers=workers, worker=not no_worker)
