"""``hub sheets rebuild`` and ``hub reconcile sheets``: the ops sheet rewritten or checked."""

from __future__ import annotations

import sys
from zoneinfo import ZoneInfo

import click

from connectors.sheets.writer import SheetWriter
from hub.cli.context import Context, pass_ctx
from hub.cli.reconcile import reconcile_group


@click.group("sheets")
def sheets_group() -> None:
    """Rewrite the ops sheet (Google Sheets or the local workbook) from the ledger."""


def _writer_and_zone(ctx: Context) -> tuple[SheetWriter, ZoneInfo]:
    from connectors.sheets.connector import SheetsConnector
    from hub.config import get_config
    from hub.outbox.connectors import connectors_for

    app = ctx.app
    found = connectors_for(app)
    connector = found.live.get("sheets")
    if not isinstance(connector, SheetsConnector):
        off = found.off.get("sheets")
        raise click.ClickException(off.message if off else "The sheet connector is off.")
    return connector.writer, ZoneInfo(get_config(app).hub.timezone)


@sheets_group.command("rebuild")
@pass_ctx
def rebuild_command(ctx: Context) -> None:
    """Clear the orders tab and write it again from the ledger, then the summaries.

    Columns people added right of the hub's stay on their order's row (by reference).
    """
    from hub.db import get_session
    from hub.ledger.sheet_source import order_count
    from hub.outbox.sheet_reconcile import rebuild

    writer, _ = _writer_and_zone(ctx)
    with ctx.app.app_context():
        session = get_session()
        total = order_count(session)
        session.rollback()
        with click.progressbar(length=total, label="Writing orders", file=sys.stderr) as bar:
            done = [0]

            def progress(written: int) -> None:
                bar.update(written - done[0])
                done[0] = written

            written = rebuild(session, writer, progress)
    click.echo(f"Rebuilt the sheet: {written} order(s) written.")


@reconcile_group.command("sheets")
@click.option("--repair", is_flag=True, help="Fix the drift found, then check again.")
@pass_ctx
def reconcile_sheets(ctx: Context, repair: bool) -> None:
    """Compare the sheet with the ledger; exit 1 while drift remains."""
    from hub.db import get_session
    from hub.outbox.sheet_reconcile import reconcile

    writer, zone = _writer_and_zone(ctx)
    with ctx.app.app_context():
        drift, report = reconcile(get_session(), writer, zone, repair=repair)
    click.echo(
        f"Missing rows: {len(drift.missing)}; extra rows: {len(drift.extra)}; "
        f"duplicate references: {len(drift.duplicates)}; rows edited by hand: {len(drift.edited)}."
    )
    for ref in drift.missing[:20]:
        click.echo(f"  missing  {ref}")
    for ref in drift.extra[:20]:
        click.echo(f"  extra    {ref}")
    for ref, rows in list(drift.duplicates.items())[:20]:
        click.echo(f"  twice    {ref} ({rows} rows)")
    for ref, columns in list(drift.edited.items())[:20]:
        click.echo(f"  edited   {ref}: {', '.join(columns)}")
    if repair:
        click.echo(f"Repaired: {report.repaired}; left: {report.unresolved}.")
    if report.unresolved:
        sys.exit(1)
