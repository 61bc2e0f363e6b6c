"""The dispatcher in one process: leases, outcomes, retries, dead letters, order per aggregate."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from connectors.base import Connector, Event, Outcome, SingleEventConnector
from connectors.facts import CustomerLinked, Fact
from connectors.recording import RecordingConnector
from hub.db import get_session, utcnow, write_transaction
from hub.ledger.actor import Actor
from hub.ledger.customers import CustomerInput, create_customer
from hub.ledger.delivery_results import record_facts
from hub.models import Customer, OutboxRow, OutboxStatus
from hub.outbox import control
from jobs import claims
from jobs.dispatcher import dispatch_batch, drain
from jobs.spec import RunCounts
from tests.conftest import Users
from tests.integration.workers import add_events, outbox, recorder, settings

ADMIN = Actor.system("test")


def _longest(low: float, high: float) -> float:
    return high


def _dispatch(app: Flask, connector: Connector, **kwargs: Any) -> tuple[int, RunCounts]:
    options = {k: kwargs.pop(k) for k in ("now", "stopping", "jitter") if k in kwargs}
    with app.app_context():
        return dispatch_batch(get_session(), connector, settings(**kwargs), **options)


def test_due_events_are_delivered_once_and_marked_delivered(app: Flask, tmp_path: Path) -> None:
    connector = recorder(tmp_path)
    ids = add_events(app, ["C-1", "C-2", "C-3"])
    claimed, counts = _dispatch(app, connector)
    assert claimed == 3
    assert counts.delivered == 3
    rows = outbox(app)
    assert {rows[i].status for i in ids} == {"delivered"}
    assert all(rows[i].lease_token is None and rows[i].delivered_at for i in ids)
    assert sorted(e["event_id"] for e in connector.log.delivered()) == ids
    assert _dispatch(app, connector)[0] == 0


def test_connector_receives_plain_snapshots_with_attempt_and_step_keys(
    app: Flask, tmp_path: Path
) -> None:
    seen: list[Event] = []

    class Keeper(SingleEventConnector):
        name = "recording"
        topics = frozenset({"test.event"})

        def deliver_one(self, event: Event) -> None:
            seen.append(event)

    (row_id,) = add_events(app, ["C-9"], payload={"order": {"ref": "C-9"}})
    _dispatch(app, Keeper())
    assert seen[0].payload["order"] == {"ref": "C-9"}
    assert seen[0].attempt == 1
    invoice_key = seen[0].step_key("invoice")
    assert invoice_key.startswith(f"hub-{row_id}-") and invoice_key.endswith("-invoice")
    assert seen[0].step_key("lines") == invoice_key.removesuffix("invoice") + "lines"
    # Read again from the database, the row gives the same keys on its next attempt.
    again = Event(row_id, "test.event", "order", "C-9", {}, 2, seen[0].created_at)
    assert again.step_key("invoice") == invoice_key
    with pytest.raises(ValueError, match="step names"):
        seen[0].step_key("a b")


class _Linker(SingleEventConnector):
    """Delivers and reports a Stripe customer id for each event, as the billing connector does."""

    name = "recording"
    topics = frozenset({"test.event"})

    def deliver_one(self, event: Event) -> Sequence[Fact]:
        return [CustomerLinked(customer_id=event.payload["seq"] + 1, stripe_customer_id="cus_1")]


def test_facts_reach_the_sink_in_the_transaction_that_records_the_delivery(
    app: Flask,
) -> None:
    recorded: list[tuple[int, tuple[Fact, ...], str | None]] = []

    def sink(session: Session, event: Event, facts: tuple[Fact, ...]) -> None:
        status = session.scalar(sa.select(OutboxRow.status).where(OutboxRow.id == event.id))
        recorded.append((event.id, facts, status))

    (row_id,) = add_events(app, ["C-1"])
    assert _dispatch(app, _Linker(), facts=sink)[1].delivered == 1
    # Seen while the row was still in flight: the delivered mark commits with the facts.
    assert recorded == [(row_id, (CustomerLinked(1, "cus_1"),), OutboxStatus.IN_FLIGHT)]
    assert outbox(app)[row_id].status == OutboxStatus.DELIVERED


def test_facts_the_ledger_cannot_record_leave_the_row_to_retry_and_write_nothing(
    app: Flask,
) -> None:
    def sink(session: Session, event: Event, facts: tuple[Fact, ...]) -> None:
        session.execute(sa.update(OutboxRow).values(last_error="half-written"))
        raise RuntimeError("the ledger refused")

    (row_id,) = add_events(app, ["C-1"])
    counts = _dispatch(app, _Linker(), facts=sink)[1]
    assert (counts.delivered, counts.retried) == (0, 1)
    row = outbox(app)[row_id]
    assert row.status == OutboxStatus.PENDING
    assert row.last_error is not None
    assert "the ledger refused" in row.last_error


def test_the_ledger_links_a_customer_once_and_takes_a_replacement_stripe_id(
    app: Flask, users: Users
) -> None:
    with app.app_context():
        session = get_session()
        customer = create_customer(
            session,
            CustomerInput(
                name="Ada", email="ada@example.com", phone=None, address=None, notes=None
            ),
        )
        cid, version = customer.id, customer.version
    event = Event(1, "test.event", "order", "C-1", {}, 1, utcnow())
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            record_facts(session, event, [CustomerLinked(cid, "cus_A")])
            record_facts(session, event, [CustomerLinked(cid, "cus_A")])
        stored = session.get(Customer, cid)
        assert stored is not None
        assert (stored.stripe_customer_id, stored.version) == ("cus_A", version)
        # Deleted in Stripe and made again by the connector: the new id wins, quietly.
        with write_transaction(session):
            record_facts(session, event, [CustomerLinked(cid, "cus_B")])
        session.expire_all()
        stored = session.get(Customer, cid)
        assert stored is not None
        assert (stored.stripe_customer_id, stored.version) == ("cus_B", version)


def test_transient_error_is_retried_on_the_backoff_schedule(app: Flask, tmp_path: Path) -> None:
    connector = recorder(tmp_path)
    connector.log.set_faults({"C-1": {"fail_times": 2}})
    (row_id,) = add_events(app, ["C-1"])

    before = utcnow()
    _dispatch(app, connector, jitter=_longest, base=2.0)
    row = outbox(app)[row_id]
    assert (row.status, row.attempts) == ("pending", 1)
    assert "recorded failure 1 of 2" in (row.last_error or "")
    # Full jitter drew its ceiling: base * 2**0 seconds after the failure.
    assert before + timedelta(seconds=2) <= row.next_attempt_at <= utcnow() + timedelta(seconds=2)

    assert _dispatch(app, connector, now=row.next_attempt_at - timedelta(seconds=1))[0] == 0
    before = utcnow()
    _dispatch(app, connector, now=row.next_attempt_at, jitter=_longest, base=2.0)
    row = outbox(app)[row_id]
    assert (row.status, row.attempts) == ("pending", 2)
    assert before + timedelta(seconds=4) <= row.next_attempt_at <= utcnow() + timedelta(seconds=4)

    _dispatch(app, connector, now=row.next_attempt_at)
    row = outbox(app)[row_id]
    assert (row.status, row.attempts) == ("delivered", 3)
    assert [e["kind"] for e in connector.log.entries() if e["kind"] != "start"] == [
        "transient",
        "transient",
        "delivered",
    ]


def test_retry_after_from_the_vendor_beats_a_shorter_backoff(app: Flask, tmp_path: Path) -> None:
    connector = recorder(tmp_path)
    connector.log.set_faults({"C-1": {"fail_times": 1, "retry_after": 600}})
    (row_id,) = add_events(app, ["C-1"])
    before = utcnow()
    _dispatch(app, connector, jitter=_longest, base=2.0)
    row = outbox(app)[row_id]
    assert row.status == "pending"
    assert row.next_attempt_at >= before + timedelta(seconds=600)


def test_permanent_error_is_a_dead_letter_at_once_and_a_replay_delivers_it(
    app: Flask, tmp_path: Path
) -> None:
    connector = recorder(tmp_path)
    connector.log.set_faults({"C-1": {"permanent": "Share the spreadsheet with hub@example.com"}})
    (row_id,) = add_events(app, ["C-1"])
    _, counts = _dispatch(app, connector)
    row = outbox(app)[row_id]
    assert counts.dead == 1
    assert (row.status, row.attempts) == ("dead", 1)
    assert row.last_error == "Share the spreadsheet with hub@example.com"
    assert "PermanentError" in (row.last_traceback or "")

    connector.log.set_faults({})
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            control.replay(session, ADMIN, row_id)
    assert (outbox(app)[row_id].status, outbox(app)[row_id].attempts) == ("pending", 0)
    _dispatch(app, connector)
    assert outbox(app)[row_id].status == "delivered"


def test_retries_that_run_out_become_a_dead_letter_with_the_last_error(
    app: Flask, tmp_path: Path
) -> None:
    connector = recorder(tmp_path)
    connector.log.set_faults({"C-1": {"fail_times": 10}})
    (row_id,) = add_events(app, ["C-1"])
    _dispatch(app, connector, max_attempts=2)
    _dispatch(app, connector, max_attempts=2, now=outbox(app)[row_id].next_attempt_at)
    row = outbox(app)[row_id]
    assert row.status == "dead"
    assert row.last_error == "Gave up after 2 attempt(s): recorded failure 2 of 10"


def test_an_unexpected_exception_is_retried_and_keeps_its_traceback(app: Flask) -> None:
    class Buggy(SingleEventConnector):
        name = "recording"
        topics = frozenset({"test.event"})

        def deliver_one(self, event: Event) -> None:
            raise KeyError("customer_email")

    (row_id,) = add_events(app, ["C-1"])
    _dispatch(app, Buggy())
    row = outbox(app)[row_id]
    assert row.status == "pending"
    assert row.last_error == "Unexpected KeyError in the connector: 'customer_email'"
    assert "deliver_one" in (row.last_traceback or "")


def test_a_topic_the_connector_does_not_take_is_a_dead_letter(app: Flask) -> None:
    class Narrow(SingleEventConnector):
        name = "recording"
        topics = frozenset({"order.created"})

        def deliver_one(self, event: Event) -> None:
            raise AssertionError("must not be called")

    (row_id,) = add_events(app, ["C-1"], topic="order.exploded")
    _dispatch(app, Narrow())
    row = outbox(app)[row_id]
    assert row.status == "dead"
    assert "does not take 'order.exploded' events" in (row.last_error or "")


def test_a_batch_connector_gets_many_events_per_call_and_an_outcome_for_each(
    app: Flask, tmp_path: Path
) -> None:
    calls: list[int] = []

    class Counting(RecordingConnector):
        def deliver(self, events: Sequence[Event]) -> Sequence[Outcome]:
            calls.append(len(events))
            return super().deliver(events)

    connector = Counting(tmp_path / "batch", name="recording", max_batch=50)
    connector.log.set_faults({"C-7": {"permanent": "customer has no email"}})
    ids = add_events(app, [f"C-{n}" for n in range(120)])
    _, counts = _dispatch(app, connector, batch_size=120)
    assert calls == [50, 50, 20]
    assert (counts.delivered, counts.dead) == (119, 1)
    assert outbox(app)[ids[7]].status == "dead"


def test_a_batch_connector_gets_its_whole_backlog_in_one_call_past_the_claim_size(
    app: Flask, tmp_path: Path
) -> None:
    calls: list[int] = []

    class Counting(RecordingConnector):
        def deliver(self, events: Sequence[Event]) -> Sequence[Outcome]:
            calls.append(len(events))
            return super().deliver(events)

    add_events(app, [f"C-{n}" for n in range(250)])
    connector = Counting(tmp_path / "batch", name="recording", max_batch=1000)
    claimed, counts = _dispatch(app, connector, batch_size=100)
    assert (claimed, calls, counts.delivered) == (250, [250], 250)


def test_events_of_one_order_go_one_at_a_time_in_order_and_orders_in_parallel(
    app: Flask, tmp_path: Path
) -> None:
    connector = recorder(tmp_path)
    add_events(app, ["C-1", "C-2", "C-1", "C-3", "C-1", "C-2"])
    claimed = [_dispatch(app, connector)[0] for _ in range(4)]
    assert claimed == [3, 2, 1, 0]
    order_one = [e["event_id"] for e in connector.log.delivered() if e["aggregate_ref"] == "C-1"]
    assert order_one == sorted(order_one)


def test_a_dead_letter_holds_back_its_order_until_replayed_but_not_other_orders(
    app: Flask, tmp_path: Path
) -> None:
    connector = recorder(tmp_path)
    connector.log.set_faults({"C-1": {"permanent": "bad address"}})
    first, cancel, other = add_events(app, ["C-1", "C-1", "C-2"])
    _dispatch(app, connector)
    connector.log.set_faults({})
    _dispatch(app, connector)
    rows = outbox(app)
    assert (rows[first].status, rows[cancel].status, rows[other].status) == (
        "dead",
        "pending",
        "delivered",
    )
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            assert control.replay_dead(session, ADMIN, connector="recording") == 1
    _dispatch(app, connector)
    _dispatch(app, connector)
    delivered = [e["event_id"] for e in connector.log.delivered()]
    assert delivered == [other, first, cancel]


def test_an_outcome_is_not_written_by_a_worker_that_lost_its_lease(app: Flask) -> None:
    (row_id,) = add_events(app, ["C-1"])
    start = utcnow()
    with app.app_context():
        session = get_session()
        slow = claims.claim(session, "recording", limit=10, lease_seconds=5, now=start)
        assert claims.hand_over(session, slow, [row_id], lease_seconds=5, now=start) == [row_id]
        later = start + timedelta(seconds=6)
        assert claims.reap(session, now=later, max_attempts=5, max_age=timedelta(days=1)) == (1, 0)
        fast = claims.claim(session, "recording", limit=10, lease_seconds=5, now=later)
        assert [e.attempt for e in fast.events] == [2]
        with write_transaction(session):
            assert not claims.settle(session, row_id, slow.token, {"status": "delivered"})
            assert claims.settle(session, row_id, fast.token, {"status": "delivered"})
    assert outbox(app)[row_id].status == "delivered"


def test_reaping_gives_up_on_an_event_whose_worker_keeps_dying(app: Flask) -> None:
    (row_id,) = add_events(app, ["C-1"])
    moment = utcnow()
    with app.app_context():
        session = get_session()
        for _ in range(2):
            dying = claims.claim(session, "recording", limit=1, lease_seconds=1, now=moment)
            claims.hand_over(session, dying, [row_id], lease_seconds=1, now=moment)
            moment += timedelta(seconds=2)
            claims.reap(session, now=moment, max_attempts=2, max_age=timedelta(days=1))
    row = outbox(app)[row_id]
    assert (row.status, row.attempts) == ("dead", 2)
    assert "crashing the worker" in (row.last_error or "")


def test_a_stop_request_hands_back_the_rest_of_the_claim_untouched(
    app: Flask, tmp_path: Path
) -> None:
    stopping = threading.Event()

    class StopsAfterOne(RecordingConnector):
        def deliver(self, events: Sequence[Event]) -> Sequence[Outcome]:
            stopping.set()  # as if SIGTERM arrived during this delivery
            return super().deliver(events)

    connector = StopsAfterOne(tmp_path / "rec")
    ids = add_events(app, ["C-1", "C-2", "C-3"])
    claimed, counts = _dispatch(app, connector, stopping=stopping)
    rows = outbox(app)
    assert (claimed, counts.delivered) == (3, 1)
    assert rows[ids[0]].status == "delivered"
    for row_id in ids[1:]:
        assert (rows[row_id].status, rows[row_id].attempts) == ("pending", 0)
        assert rows[row_id].lease_token is None


def test_a_paused_connector_delivers_nothing_until_resumed(app: Flask, tmp_path: Path) -> None:
    connector = recorder(tmp_path)
    (row_id,) = add_events(app, ["C-1"])
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            control.pause(session, ADMIN, "recording", "Stripe maintenance tonight")
        nudged = threading.Event()
        nudged.set()
        assert drain(session, connector, settings(), stopping=threading.Event(), nudged=nudged).idle
        # The nudge is consumed, or the worker would rerun a paused dispatcher in a loop.
        assert not nudged.is_set()
        assert outbox(app)[row_id].status == "pending"
        with write_transaction(session):
            control.resume(session, ADMIN, "recording")
        assert drain(session, connector, settings(), stopping=threading.Event()).delivered == 1


def test_pruning_deletes_delivered_rows_past_retention_only(app: Flask, tmp_path: Path) -> None:
    connector = recorder(tmp_path)
    delivered, waiting = add_events(app, ["C-1", "C-2"])
    connector.log.set_faults({"C-2": {"fail_times": 1}})
    _dispatch(app, connector)
    with app.app_context():
        session = get_session()
        assert claims.prune(session, before=utcnow() - timedelta(days=1)) == 0
        assert claims.prune(session, before=utcnow() + timedelta(days=1), chunk=1) == 1
    assert set(outbox(app)) == {waiting}
    assert delivered not in outbox(app)


@pytest.mark.parametrize("status", ["pending", "delivered"])
def test_only_dead_letters_can_be_replayed(app: Flask, tmp_path: Path, status: str) -> None:
    from hub.errors import Conflict

    (row_id,) = add_events(app, ["C-1"])
    if status == "delivered":
        _dispatch(app, recorder(tmp_path))
    assert outbox(app)[row_id].status == status
    with app.app_context():
        session = get_session()
        with pytest.raises(Conflict), write_transaction(session):
            control.replay(session, ADMIN, row_id)
    assert outbox(app)[row_id].status == status
    assert OutboxStatus(status)


def test_a_ledger_commit_notifies_listening_workers_and_a_rollback_does_not(
    app: Flask, users: Users, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite workers poll; only PostgreSQL has LISTEN/NOTIFY")
    import psycopg

    from hub.db import get_db
    from hub.ledger.customers import CustomerInput, create_customer
    from hub.ledger.orders import OrderInput, create_order

    url = get_db(app).engine.url.set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as listener:
        listener.execute("LISTEN hub_outbox")
        with app.app_context():
            session = get_session()
            with write_transaction(session):
                customer = create_customer(
                    session, CustomerInput.parse({"name": "Jeanne", "email": "j@example.com"})
                )
            assert [n.payload for n in listener.notifies(timeout=2, stop_after=1)] == ["stripe"]
            order = OrderInput.parse(
                {"customer_id": customer.id, "lines": [{"service_code": "PARCEL", "quantity": 1}]}
            )
            with pytest.raises(RuntimeError), write_transaction(session):
                create_order(session, Actor.of(users.concierge), order)
                raise RuntimeError("changed my mind")
            assert [n.payload for n in listener.notifies(timeout=0.5)] == []
            with write_transaction(session):
                create_order(session, Actor.of(users.concierge), order)
        notes = [n.payload for n in listener.notifies(timeout=2, stop_after=1)]
    assert notes == ["sheets"]
