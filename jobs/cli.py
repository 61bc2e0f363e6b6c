"""The ``hub`` commands of the background jobs, plugged in through the ``hub.commands`` group.

``hub/`` never imports ``jobs/``: pyproject.toml declares these commands as entry points, and
``hub.cli`` loads them from the installed package's metadata when a command line is parsed.
"""

from __future__ import annotations

import sys

import click

from hub.cli.context import Context, pass_ctx


@click.command("worker")
@pass_ctx
def worker_command(ctx: Context) -> None:
    """Run the background jobs (the outbox dispatcher, clean-up) until SIGTERM or Ctrl-C."""
    from jobs.worker import run_worker

    run_worker(lambda: ctx.app)


@click.group("jobs")
def jobs_group() -> None:
    """List and run the background jobs."""


@jobs_group.command("list")
@pass_ctx
def jobs_list(ctx: Context) -> None:
    """List the jobs a worker schedules, with their last run."""
    from hub.db import get_session
    from hub.outbox.status import recent_runs
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
        raise click.ClickException(str(exc)) from exc
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
