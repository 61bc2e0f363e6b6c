"""The sheet's pace: writes per minute on the client side, summaries at most every interval."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from connectors.base import Event
from connectors.payloads import OrderChanged, to_json
from connectors.sheets.connector import SheetsConnector
from connectors.sheets.limiter import MinuteLimiter
from connectors.sheets.workbook import WorkbookWriter
from tests.integration.sheets_fixtures import PARIS, order


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_the_limiter_lets_n_writes_through_a_minute_then_waits_for_the_oldest_to_age() -> None:
    clock = FakeClock()
    limiter = MinuteLimiter(2, clock=clock, sleep=clock.sleep)
    assert limiter.wait() == limiter.wait() == 0.0
    clock.now += 10
    assert limiter.wait() == 50.0  # the first write leaves the minute at 1060
    assert clock.slept == [50.0]
    clock.now += 60
    assert limiter.wait() == 0.0


def _changed(n: int) -> Event:
    payload = to_json(OrderChanged(order=order(n)))
    return Event(n, "order.updated", "order", order(n).ref, payload, 1, datetime.now(UTC))


def test_summaries_are_due_after_a_batch_but_not_again_within_the_interval(
    tmp_path: Path,
) -> None:
    connector = SheetsConnector(
        WorkbookWriter(tmp_path / "hub.xlsx", zone=PARIS), summary_interval_seconds=300
    )
    connector.deliver([_changed(1)])
    assert connector.summaries_due()
    connector.write_summaries([])
    assert not connector.summaries_due()  # nothing changed since
    connector.deliver([_changed(2)])
    written = time.monotonic()
    assert not connector.summaries_due(now=written + 299)
    assert connector.summaries_due(now=written + 301)
