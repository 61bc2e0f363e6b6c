"""Leases that run out mid-claim, give-up ages, bulk replays and concurrent pauses."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from connectors.base import Event, Outcome
from connectors.errors import TransientError
from hub.db import get_session, utcnow, write_transaction
from hub.errors import Conflict
from hub.ledger.actor import Actor
from hub.models import AuditEntry, ConnectorPause, OutboxRow
from hub.outbox import control
from jobs import claims
from jobs.dispatcher import dispatch_batch
from tests.integration.workers import add_events, outbox, recorder, settings

ADMIN = Actor.system("test")


class Recorder:
    """A one-event-at-a-time connector that notes who delivered what, and may hold one event."""

    name = "recording"
    topics = frozenset({"*"})
    max_batch = 1

    def __init__(
        self,
        worker: str,
        seen: list[tuple[str, int, str, int]],
        hold: str | None = None,
        reached: threading.Event | None = None,
        release: threading.Event | None = None,
    ) -> None:
        self.worker, self.seen, self.hold = worker, seen, hold
        self.reached, self.release = reached, release

    def deliver(self, events: Sequence[Event]) -> Sequence[Outcome]:
        for event in events:
            if event.aggregate_ref == self.hold and self.reached and self.release:
                # Slower than the lease: meanwhile the reaper gives its rows to another worker.
                self.reached.set()
                assert self.release.wait(timeout=30)
            self.seen.append((self.worker, event.id, event.aggregate_ref, event.payload["seq"]))
        return [Outcome(event.id) for event in events]


def test_a_worker_that_lost_its_lease_delivers_no_stale_copy_after_a_newer_event(
    app: Flask,
) -> None:
    seen: list[tuple[str, int, str, int]] = []
    reached, release = threading.Event(), threading.Event()
    first_a, first_b, second_b = add_events(app, ["A", "B", "B"])
    slow = Recorder("slow", seen, hold="A", reached=reached, release=release)

    def slow_worker() -> None:
        with app.app_context():
            dispatch_batch(get_session(), slow, settings(lease_seconds=60))

    thread = threading.Thread(target=slow_worker)
    thread.start()
    try:
        assert reached.wait(timeout=30)
        # Past the slow worker's lease: the reaper requeues its claim, another worker takes it.
        later = utcnow() + timedelta(seconds=61)
        with app.app_context():
            session = get_session()
            assert claims.reap(session, now=later, max_attempts=5, max_age=timedelta(days=1)) == (
                2,
                0,
            )
            fast = Recorder("fast", seen)
            for _ in range(3):
                dispatch_batch(session, fast, settings(lease_seconds=60), now=later)
    finally:
        release.set()
        thread.join(timeout=30)
    assert [(who, row_id) for who, row_id, _, _ in seen if who == "fast"] == [
        ("fast", first_a),
        ("fast", first_b),
        ("fast", second_b),
    ]
    # The slow worker only finishes the delivery it had started while its lease held.
    assert [(who, row_id) for who, row_id, _, _ in seen if who == "slow"] == [("slow", first_a)]
    order_b = [seq for _, _, ref, seq in seen if ref == "B"]
    assert order_b == sorted(order_b)
    assert {row.status for row in outbox(app).values()} == {"delivered"}


def test_the_rest_of_a_claim_is_handed_back_before_its_lease_runs_out(app: Flask) -> None:
    seen: list[tuple[str, int, str, int]] = []
    first, second, third = add_events(app, ["C-1", "C-2", "C-3"])

    class Slower(Recorder):
        def deliver(self, events: Sequence[Event]) -> Sequence[Outcome]:
            # Longer than the lease: nothing else of the claim may start after this.
            threading.Event().wait(0.6)
            return super().deliver(events)

    slower = Slower("slow", seen)
    with app.app_context():
        claimed, counts = dispatch_batch(get_session(), slower, settings(lease_seconds=0.5))
    assert (claimed, counts.delivered) == (3, 1)
    assert [row_id for _, row_id, _, _ in seen] == [first]
    rows = outbox(app)
    for row_id in (second, third):
        assert (rows[row_id].status, rows[row_id].attempts) == ("pending", 0)
        assert rows[row_id].lease_token is None and rows[row_id].first_attempt_at is None


def _backdate(app: Flask, row_id: int, **values: object) -> None:
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            session.execute(sa.update(OutboxRow).where(OutboxRow.id == row_id).values(**values))


def test_an_old_event_never_tried_survives_its_first_transient_error(
    app: Flask, tmp_path: Path
) -> None:
    connector = recorder(tmp_path)
    connector.log.set_faults({"C-1": {"fail_times": 1}})
    (row_id,) = add_events(app, ["C-1"])
    # Four days of backlog while the connector was not configured; max_age is one day.
    _backdate(app, row_id, created_at=utcnow() - timedelta(days=4))
    before = utcnow()
    with app.app_context():
        dispatch_batch(get_session(), connector, settings())
    row = outbox(app)[row_id]
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.first_attempt_at is not None and row.first_attempt_at >= before


def test_an_event_first_tried_too_long_ago_gives_up(app: Flask) -> None:
    (row_id,) = add_events(app, ["C-1"])

    class Failing(Recorder):
        def deliver(self, events: Sequence[Event]) -> Sequence[Outcome]:
            return [Outcome(e.id, TransientError("Stripe is down")) for e in events]

    moment = utcnow()
    with app.app_context():
        session = get_session()
        dispatch_batch(session, Failing("w", []), settings(), now=moment)
        _backdate(app, row_id, first_attempt_at=moment - timedelta(days=2))
        dispatch_batch(session, Failing("w", []), settings(), now=moment + timedelta(hours=2))
    row = outbox(app)[row_id]
    assert (row.status, row.attempts) == ("dead", 2)
    assert "Gave up after 2 attempt(s)" in (row.last_error or "")


def test_reaping_ages_a_row_from_its_first_attempt_not_its_creation(app: Flask) -> None:
    (row_id,) = add_events(app, ["C-1"])
    _backdate(app, row_id, created_at=utcnow() - timedelta(days=4))
    moment = utcnow()
    with app.app_context():
        session = get_session()
        claims.claim(session, "recording", limit=1, lease_seconds=1, now=moment)
        later = moment + timedelta(seconds=2)
        assert claims.reap(session, now=later, max_attempts=5, max_age=timedelta(days=1)) == (1, 0)
    assert outbox(app)[row_id].status == "pending"


def test_a_replay_starts_the_age_again(app: Flask) -> None:
    (row_id,) = add_events(app, ["C-1"])
    _backdate(
        app,
        row_id,
        status="dead",
        attempts=3,
        first_attempt_at=utcnow() - timedelta(days=5),
    )
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            control.replay(session, ADMIN, row_id)
    row = outbox(app)[row_id]
    assert (row.status, row.attempts, row.first_attempt_at) == ("pending", 0, None)


def _dead_rows(app: Flask, count: int, connector: str) -> None:
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            session.execute(
                sa.insert(OutboxRow),
                [
                    {
                        "connector": connector,
                        "topic": "test.event",
                        "aggregate_type": "order",
                        "aggregate_ref": f"C-{n}",
                        "payload": {"seq": n},
                        "status": "dead",
                        "attempts": 5,
                        "created_at": utcnow(),
                        "next_attempt_at": utcnow(),
                    }
                    for n in range(count)
                ],
            )


def test_replaying_thousands_of_dead_letters_is_one_statement_and_one_audit_entry(
    app: Flask,
) -> None:
    _dead_rows(app, 5000, "recording")
    _dead_rows(app, 3, "other")
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            assert control.replay_dead(session, ADMIN, connector="recording") == 5000
        counts = dict(
            session.execute(
                sa.select(OutboxRow.connector + ":" + OutboxRow.status, sa.func.count()).group_by(
                    OutboxRow.connector, OutboxRow.status
                )
            )
            .tuples()
            .all()
        )
        (entry,) = session.scalars(sa.select(AuditEntry))
        session.commit()
    assert counts == {"recording:pending": 5000, "other:dead": 3}
    assert entry.details["count"] == 5000
    assert len(entry.details["ids"]) == control.AUDIT_IDS
    assert entry.details["ids"] == sorted(entry.details["ids"])


def test_two_admins_pausing_at_once_get_one_pause_and_a_conflict(app: Flask) -> None:
    inserted = threading.Event()
    outcomes: dict[str, str] = {}

    def first() -> None:
        with app.app_context():
            session = get_session()
            with write_transaction(session):
                control.pause(session, Actor.system("first"), "recording", "maintenance")
                outcomes["first"] = "paused"
                inserted.set()
                # Still uncommitted while the second admin's pause arrives.
                threading.Event().wait(0.3)

    def second() -> None:
        assert inserted.wait(timeout=30)
        with app.app_context():
            session = get_session()
            try:
                with write_transaction(session):
                    control.pause(session, Actor.system("second"), "recording", "me too")
                outcomes["second"] = "paused"
            except Conflict as exc:
                outcomes["second"] = f"conflict {exc.http_status}"

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes == {"first": "paused", "second": "conflict 409"}
    with app.app_context():
        session = get_session()
        pauses = list(session.scalars(sa.select(ConnectorPause)))
        actions = list(session.scalars(sa.select(AuditEntry.actor_label)))
        session.commit()
    assert [(p.connector, p.paused_by, p.reason) for p in pauses] == [
        ("recording", "first", "maintenance")
    ]
    assert actions == ["first"]
