"""What the outbox page shows about the sheet: duplicates, the cell warning, the last reconcile.

The sheet connector reports what each write saw as a ``SheetChecked`` fact; it is kept in
one ``ReconcileReport`` row (target ``sheets.sync``), replaced each time. ``hub reconcile
sheets`` stores its own reports under target ``sheets``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from connectors.base import Event
from connectors.facts import SheetChecked
from hub.models import ReconcileReport
from hub.sql import utcnow

SYNC_TARGET = "sheets.sync"
RECONCILE_TARGET = "sheets"


def record_sheet_checked(session: Session, event: Event, fact: SheetChecked) -> None:
    """Keep the latest write's findings in the one ``sheets.sync`` row."""
    details = {
        "duplicates": [[ref, rows] for ref, rows in fact.duplicates],
        "removed": fact.removed,
        "cells": fact.cells,
        "cells_warning": fact.cells_warning,
    }
    row = session.scalars(
        sa.select(ReconcileReport).where(ReconcileReport.target == SYNC_TARGET).limit(1)
    ).first()
    if row is None:
        row = ReconcileReport(target=SYNC_TARGET)
        session.add(row)
    row.started_at = row.finished_at = utcnow()
    row.unresolved = 0 if fact.removed else len(fact.duplicates)
    row.repaired = fact.removed
    row.details = details
    session.flush()


@dataclass(frozen=True)
class SheetHealth:
    """The sheet's state for the outbox page."""

    duplicates: list[tuple[str, int]]
    removed: int
    cells: int | None
    cells_warning: bool
    last_reconcile: ReconcileReport | None

    @property
    def worth_showing(self) -> bool:
        return bool(self.duplicates or self.cells_warning or self.last_reconcile)


def _latest(session: Session, target: str) -> ReconcileReport | None:
    return session.scalars(
        sa.select(ReconcileReport)
        .where(ReconcileReport.target == target)
        .order_by(ReconcileReport.id.desc())
        .limit(1)
    ).first()


def sheet_health(session: Session) -> SheetHealth:
    """Return the last write's findings and the last reconcile report of the sheet."""
    sync = _latest(session, SYNC_TARGET)
    details: dict[str, Any] = dict(sync.details) if sync else {}
    return SheetHealth(
        duplicates=[(str(ref), int(rows)) for ref, rows in details.get("duplicates", [])],
        removed=int(details.get("removed", 0)),
        cells=details.get("cells"),
        cells_warning=bool(details.get("cells_warning")),
        last_reconcile=_latest(session, RECONCILE_TARGET),
    )
