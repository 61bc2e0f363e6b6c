"""``hub outbox``: the outbox's state and the replay of dead letters."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from hub.cli.context import Context, pass_ctx

if TYPE_CHECKING:
    from hub.outbox.status import ConnectorStatus


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


def _state(status: ConnectorStatus) -> str:
    if status.state == "off":
        return "not installed yet" if status.not_installed else "to configure"
    return status.state


@click.group("outbox")
def outbox_group() -> None:
    """Inspect the outbox and replay dead letters."""


@outbox_group.command("status")
@click.option("--limit", default=20, show_default=True, help="Dead letters to list.")
@pass_ctx
def outbox_status(ctx: Context, limit: int) -> None:
    """Show each connector's queue and the dead letters; exit 1 when there are dead letters."""
    from hub.config import get_config
    from hub.db import get_session
    from hub.outbox.connectors import connectors_for
    from hub.outbox.status import (
        connector_statuses,
        dead_letters,
        outbox_totals,
        silent_after_seconds,
        worker_health,
    )

    with ctx.app.app_context():
        session = get_session()
        label = connectors_for().label
        statuses = connector_statuses(session, connectors_for(), runs_per_connector=1)
        letters = dead_letters(session, limit=limit)
        totals = outbox_totals(session)
        health = worker_health(session, silent_after=silent_after_seconds(get_config(ctx.app)))
    click.echo(
        f"{'connector':<16} {'state':<17} {'backlog':>7} {'oldest':>7} {'last hour':>9} "
        f"{'retrying':>8} {'dead':>5} {'held back':>9}"
    )
    for s in statuses:
        state = _state(s)
        click.echo(
            f"{s.label:<16} {state:<17} {s.backlog:>7} {_age(s.oldest_pending_seconds):>7} "
            f"{s.delivered_last_hour:>9} {s.retrying:>8} {s.dead:>5} {s.held_back:>9}"
        )
        if s.message:
            click.echo(f"  {state}: {s.message}")
    for beat in health.workers:
        click.echo(
            f"worker {beat.worker}: last heard {_age(beat.seconds_since_seen)} ago"
            f" ({'silent' if beat.silent else 'alive'})"
        )
    if not health.workers:
        click.echo("worker: none running; changes wait until `hub serve` or `hub worker` runs.")
    for letter in letters:
        click.echo(
            f"dead #{letter.id} {label(letter.connector)} {letter.topic} {letter.aggregate_ref} "
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
    from hub.errors import HubError
    from hub.ledger.actor import Actor
    from hub.outbox import control

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
