"""The ``sheets.summaries`` job: compute the summary tables in the ledger, hand them over.

It runs every minute or so and writes only when orders reached the sheet since the last
refresh and ``[sheets] summary_interval_minutes`` have passed, so the summaries follow each
batch at most that often.
"""

from __future__ import annotations

from apscheduler.triggers.interval import IntervalTrigger

from connectors.base import Connector
from connectors.sheets.connector import SheetsConnector
from connectors.tables import Table
from hub.config import Config
from hub.outbox.connectors import ConnectorSet
from jobs.spec import JobContext, JobFunction, JobSpec, RunCounts

NAME = "sheets.summaries"


def read_tables(ctx: JobContext) -> list[Table]:
    """Read the summary tables in one short read transaction."""
    from hub.ledger.reports import summary_tables  # type: ignore[import-not-found, import-untyped, unused-ignore]

    try:
        tables: list[Table] = list(summary_tables(ctx.session))
    finally:
        ctx.session.rollback()
    return tables


def refresh_summaries(connector: Connector | None) -> JobFunction:
    """Return the job's function for the app's sheet connector (nothing to do when off)."""

    def run(ctx: JobContext) -> RunCounts:
        if not isinstance(connector, SheetsConnector) or not connector.summaries_due():
            return RunCounts()
        tables = read_tables(ctx)
        connector.write_summaries(tables)
        return RunCounts(note=f"wrote {len(tables)} summary tab(s)")

    return run


def job(cfg: Config, connectors: ConnectorSet) -> JobSpec | None:
    """Return the job's spec (tried every minute, or the interval if shorter), None when off."""
    connector = connectors.live.get("sheets")
    if not isinstance(connector, SheetsConnector):
        return None
    seconds = max(5.0, min(60.0, cfg.sheets.summary_interval_minutes * 60))
    return JobSpec(
        NAME,
        refresh_summaries(connector),
        IntervalTrigger(seconds=seconds),
        "Rewrite the sheet's summary tabs (Jour, Mois, Équipe) after orders reached it",
        quiet=True,
    )
