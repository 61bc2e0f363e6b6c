"""Compare the ops sheet with the ledger, repair it, or rebuild it whole.

Drift is what people or lost deliveries leave behind: orders missing from the sheet, rows
whose reference the ledger does not know, references on several rows, and cells of the hub's
columns edited by hand. The report is stored (``ReconcileReport``, target ``sheets``) for the
outbox page; ``unresolved`` is the drift left after the run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from connectors.payloads import OrderPayload
from connectors.sheets.layout import ORDER_COLUMNS, order_row
from connectors.sheets.writer import SheetRow, SheetWriter, comparable
from connectors.tables import Table
from hub.db import utcnow, write_transaction
from hub.ledger.sheet_health import RECONCILE_TARGET
from hub.ledger.sheet_source import order_payloads
from hub.models import ReconcileReport

#: References listed per kind of drift in a stored report (the counts are always whole).
LISTED = 50


@dataclass
class Drift:
    """What differs between the sheet and the ledger."""

    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    duplicates: dict[str, int] = field(default_factory=dict)
    edited: dict[str, list[str]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.missing) + len(self.extra) + len(self.duplicates) + len(self.edited)

    def details(self) -> dict[str, Any]:
        return {
            "counts": {
                "missing": len(self.missing),
                "extra": len(self.extra),
                "duplicates": len(self.duplicates),
                "edited": len(self.edited),
            },
            "missing": self.missing[:LISTED],
            "extra": self.extra[:LISTED],
            "duplicates": dict(list(self.duplicates.items())[:LISTED]),
            "edited": dict(list(self.edited.items())[:LISTED]),
        }


def compare(
    session: Session, writer: SheetWriter, zone: ZoneInfo
) -> tuple[Drift, dict[str, OrderPayload]]:
    """Return the drift, and the ledger's orders that a repair would write."""
    rows = writer.read_orders()
    seen = Counter(row.ref for row in rows if row.ref)
    first: dict[str, SheetRow] = {}
    for row in rows:
        if row.ref and row.ref not in first:
            first[row.ref] = row
    drift = Drift(duplicates={ref: n for ref, n in seen.items() if n > 1})
    to_write: dict[str, OrderPayload] = {}
    known: set[str] = set()
    for chunk in order_payloads(session):
        for order in chunk:
            known.add(order.ref)
            found = first.get(order.ref)
            if found is None:
                drift.missing.append(order.ref)
                to_write[order.ref] = order
                continue
            expected = comparable(order_row(order, zone))
            changed = [
                column.title
                for column, want, got in zip(ORDER_COLUMNS, expected, found.hub, strict=True)
                if want != got
            ]
            if changed:
                drift.edited[order.ref] = changed
                to_write[order.ref] = order
            elif order.ref in drift.duplicates:
                to_write[order.ref] = order
    drift.extra = sorted(ref for ref in seen if ref not in known)
    return drift, to_write


def reconcile(
    session: Session, writer: SheetWriter, zone: ZoneInfo, *, repair: bool
) -> tuple[Drift, ReconcileReport]:
    """Compare (and repair when asked), store the report, and return the drift found."""
    started = utcnow()
    drift, to_write = compare(session, writer, zone)
    repaired = 0
    left = drift
    if repair and drift.total:
        writer.write_orders(list(to_write.values()), remove_refs=drift.extra, repair=True)
        repaired = drift.total
        left, _ = compare(session, writer, zone)
    with write_transaction(session):
        report = ReconcileReport(
            target=RECONCILE_TARGET,
            started_at=started,
            finished_at=utcnow(),
            repaired=repaired if not left.total else drift.total - left.total,
            unresolved=left.total,
            details={"found": drift.details(), "left": left.details(), "repair": repair},
        )
        session.add(report)
    return drift, report


def rebuild(session: Session, writer: SheetWriter, progress: Callable[[int], None]) -> int:
    """Write the orders tab again from the ledger, then the summaries; return the orders."""
    written = writer.rebuild(_chunks(session), progress)
    tables = summary_tables_or_none(session)
    if tables is not None:
        writer.write_summaries(tables)
    return written


def _chunks(session: Session) -> Iterator[Sequence[OrderPayload]]:
    yield from order_payloads(session)


def summary_tables_or_none(session: Session) -> list[Table] | None:
    """Return the ledger's summary tables, or None while hub.ledger.reports is not there."""
    try:
        from hub.ledger.reports import summary_tables  # type: ignore[import-not-found, import-untyped, unused-ignore]
    except ImportError:
        return None
    try:
        tables: list[Table] = list(summary_tables(session))
    finally:
        session.rollback()
    return tables
