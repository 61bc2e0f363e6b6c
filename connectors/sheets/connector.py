"""The sheet's outbox connector: every pending order event in one batch, one write out.

Each event carries the whole order after its change (``OrderChanged``), so the batch is a
set of rows to write by reference; the latest version of each order wins. An event whose
copy the sheet already holds in a newer version is delivered with a ``Superseded`` fact. The
first outcome carries a ``SheetChecked`` fact (duplicates, cells in use) for the outbox page.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from connectors.base import Event, Outcome
from connectors.errors import ConnectorError
from connectors.facts import Fact, SheetChecked, Superseded
from connectors.payloads import OrderChanged, OrderPayload, read_payload
from connectors.sheets.writer import SheetWriter, WriteReport
from connectors.tables import Table

#: Events per call: all that is pending, in practice (the dispatcher claims in batches too).
MAX_BATCH = 20_000


class SheetsConnector:
    """Deliver order events to the ops sheet through a writer (Google or the workbook)."""

    name = "sheets"
    topics = OrderChanged.topics
    max_batch = MAX_BATCH

    def __init__(self, writer: SheetWriter, *, summary_interval_seconds: float = 300.0) -> None:
        self.writer = writer
        self.summary_interval_seconds = summary_interval_seconds
        self.last_report: WriteReport | None = None
        self._orders_changed = True
        self._summaries_written_at: float | None = None
        self._lock = threading.Lock()

    def deliver(self, events: Sequence[Event]) -> Sequence[Outcome]:
        """Write the events' orders in one cycle and say how each event went."""
        outcomes: dict[int, Outcome] = {}
        read: list[tuple[Event, OrderPayload]] = []
        for event in events:
            try:
                read.append((event, read_payload(event.topic, event.payload, OrderChanged).order))
            except ConnectorError as exc:
                outcomes[event.id] = Outcome(event.id, exc)
        if read:
            try:
                report = self.writer.write_orders([order for _, order in read])
            except ConnectorError as exc:
                for event, _ in read:
                    outcomes[event.id] = Outcome(event.id, exc)
            else:
                self._delivered(read, report, outcomes)
        return [outcomes[event.id] for event in events]

    def _delivered(
        self,
        read: list[tuple[Event, OrderPayload]],
        report: WriteReport,
        outcomes: dict[int, Outcome],
    ) -> None:
        with self._lock:
            self.last_report = report
            self._orders_changed = True
        health = SheetChecked(
            duplicates=tuple(sorted(report.duplicates.items())),
            removed=report.removed,
            cells=report.cells,
            cells_warning=report.cells_warning,
        )
        for position, (event, order) in enumerate(read):
            facts: list[Fact] = [health] if position == 0 else []
            stale = report.stale.get(order.ref)
            if stale is not None and order.version < stale.newer_version:
                facts.append(Superseded(order.ref, order.version, stale.newer_version))
            outcomes[event.id] = Outcome(event.id, facts=tuple(facts))

    def summaries_due(self, *, now: float | None = None) -> bool:
        """Tell whether orders changed since the last refresh, which is old enough."""
        moment = time.monotonic() if now is None else now
        with self._lock:
            if not self._orders_changed:
                return False
            last = self._summaries_written_at
            return last is None or moment - last >= self.summary_interval_seconds

    def write_summaries(self, tables: Sequence[Table]) -> None:
        """Replace the summary tabs (the job computes the tables in the ledger)."""
        with self._lock:
            self._orders_changed = False
        try:
            self.writer.write_summaries(tables)
        except BaseException:
            with self._lock:
                self._orders_changed = True
            raise
        with self._lock:
            self._summaries_written_at = time.monotonic()
