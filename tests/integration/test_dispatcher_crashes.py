"""An event that kills its worker dies alone: attempts charged at hand-over, suspects alone."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta

import pytest
from flask import Flask

from connectors.base import Event, Outcome
from hub.db import get_session, utcnow
from jobs import claims, dispatcher
from jobs.dispatcher import dispatch_batch
from tests.integration.workers import add_events, outbox, settings

MAX_ATTEMPTS = 3


class ProcessDied(BaseException):
    """Stands for the worker's death: it escapes the dispatcher before any outcome is written."""


class Crashing:
    """A one-event-at-a-time connector that dies on one aggregate and notes what it delivered."""

    name = "recording"
    topics = frozenset({"*"})
    max_batch = 1

    def __init__(self, poison: str) -> None:
        self.poison = poison
        self.delivered: Counter[int] = Counter()
        self.handed: Counter[int] = Counter()

    def deliver(self, events: Sequence[Event]) -> Sequence[Outcome]:
        for event in events:
            self.handed[event.id] += 1
            if event.aggregate_ref == self.poison:
                raise ProcessDied(event.id)
            self.delivered[event.id] += 1
        return [Outcome(event.id) for event in events]


def _reap_after_the_lease(app: Flask) -> datetime:
    """Reap as a worker would once the lease ran out; return that moment."""
    later = utcnow() + timedelta(seconds=61)
    with app.app_context():
        claims.reap(get_session(), now=later, max_attempts=MAX_ATTEMPTS, max_age=timedelta(days=1))
    return later


def test_an_event_that_kills_its_worker_dies_alone_after_its_attempts(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Outcomes wait for the end of the claim: those delivered before the crash are lost with it.
    monkeypatch.setattr(dispatcher, "RECORD_EVERY_SECONDS", 3600.0)
    before = add_events(app, [f"A-{n}" for n in range(5)])
    (poison,) = add_events(app, ["P"])
    after = add_events(app, [f"B-{n}" for n in range(20)])
    connector = Crashing("P")
    crashes = 0
    moment = utcnow()
    with app.app_context():
        session = get_session()
        for _ in range(60):
            try:
                claimed, _counts = dispatch_batch(
                    session,
                    connector,
                    settings(max_attempts=MAX_ATTEMPTS, lease_seconds=60),
                    now=moment,
                )
            except ProcessDied:
                session.rollback()
                crashes += 1
                moment = _reap_after_the_lease(app)
                if crashes == 1:
                    _check_after_the_first_crash(app, moment, before, poison, after)
                continue
            if claimed == 0:
                break
    rows = outbox(app)
    assert crashes == MAX_ATTEMPTS
    assert (rows[poison].status, rows[poison].attempts) == ("dead", MAX_ATTEMPTS)
    assert rows[poison].lost_leases == MAX_ATTEMPTS
    assert f"{MAX_ATTEMPTS} time(s)" in (rows[poison].last_error or "")
    assert connector.handed[poison] == MAX_ATTEMPTS
    assert {row_id: rows[row_id].status for row_id in before + after} == dict.fromkeys(
        before + after, "delivered"
    )
    # Delivered before the crash but not recorded: sent once more, alone, and only once more.
    assert {row_id: connector.delivered[row_id] for row_id in before} == dict.fromkeys(before, 2)
    assert {rows[row_id].attempts for row_id in before} == {2}
    # Behind the crash in the same claim: never tried, so delivered exactly once.
    assert {row_id: connector.delivered[row_id] for row_id in after} == dict.fromkeys(after, 1)
    assert {rows[row_id].attempts for row_id in after} == {1}


def _check_after_the_first_crash(
    app: Flask, moment: datetime, before: list[int], poison: int, after: list[int]
) -> None:
    rows = outbox(app)
    # Handed over: charged an attempt and suspected; waiting behind it: untouched.
    for row_id in [*before, poison]:
        assert (rows[row_id].status, rows[row_id].attempts, rows[row_id].lost_leases) == (
            "pending",
            1,
            1,
        )
    for row_id in after:
        assert (rows[row_id].status, rows[row_id].attempts, rows[row_id].lost_leases) == (
            "pending",
            0,
            0,
        )
        assert rows[row_id].first_attempt_at is None
    # A suspect is claimed alone, whatever the batch size.
    with app.app_context():
        session = get_session()
        alone = claims.claim(session, "recording", limit=100, lease_seconds=60, now=moment)
        assert [event.id for event in alone.events] == [before[0]]
        assert claims.release(session, alone, [before[0]]) == 1
    assert (outbox(app)[before[0]].attempts, outbox(app)[before[0]].status) == (1, "pending")


def test_innocent_rows_are_claimed_together_up_to_the_next_suspect() -> None:
    assert claims.alone_or_together([]) == []
    assert claims.alone_or_together([(1, 0), (2, 0), (3, 1), (4, 0)]) == [1, 2]
    assert claims.alone_or_together([(3, 1), (4, 0)]) == [3]
    assert claims.alone_or_together([(3, 2), (5, 1)]) == [3]
