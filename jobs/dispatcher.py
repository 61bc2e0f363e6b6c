"""The outbox dispatcher: lease due rows, hand them to their connector, record each outcome.

One pass (``dispatch_batch``) claims up to ``batch_size`` rows and commits the claim, then
calls the connector outside any transaction, ``max_batch`` events at a time. Outcomes are
written every ``RECORD_EVERY_SECONDS`` and at the end of the claim, in one transaction each:
one commit per event would cap a one-at-a-time connector at the database's commit rate, and
a worker killed before writing only causes a redelivery (delivery is at least once; the
connectors' idempotency keys make effects exactly once). The facts a connector learnt (a
Stripe invoice number, say) go to the ledger in that same transaction, each event's in a
savepoint: facts the ledger cannot record leave their row to be retried, and the vendor's
idempotency keys bring the same facts back; facts are recorded idempotently, so a row whose
lease was lost meanwhile does no harm by recording them too. When asked to stop it finishes the
chunk under way, writes the outcomes and hands the rest back untouched, so a SIGTERM loses
nothing and wastes no attempt.

Leases and attempts: before each chunk the dispatcher hands its rows over (jobs/claims.py):
under its token it charges their attempt and renews their lease, and delivers only the rows
the hand-over still found: a row whose lease expired and was reaped belongs to another worker,
which may already have delivered it and newer events of its aggregate, so sending this
worker's old copy could overwrite a newer state. The rows of a claim not yet handed over keep
the claim's expiry; once half of it has passed, the rest of the claim is handed back and
claimed afresh by the next pass. A row whose worker died after the hand-over comes back from
the reaper as a suspect, claimed alone: its outcome is written before anything else is handed.

A run that claims something calls ``started`` once, before the first hand-over, so the job
run is on record while it works (jobs/runs.py), and adds its counts to that record in each
outcome transaction: a worker killed mid-run leaves a run that says what it had done.
``drain`` repeats passes until nothing is due (or a nudge says more arrived meanwhile).
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from connectors.base import Connector, Event, Outcome, takes_topic, unknown_topic
from connectors.errors import ConnectorError, PermanentError, TransientError
from connectors.facts import Fact
from hub.db import utcnow, write_transaction
from hub.models import ConnectorPause, JobRun, OutboxStatus
from jobs.claims import Claim, claim, hand_over, release, settle, settle_delivered
from jobs.retry import Jitter, RetryPolicy, default_jitter
from jobs.spec import RunCounts

log = logging.getLogger("hub.jobs.dispatcher")

#: A drain hands control back to the scheduler after this long, so its run gets recorded.
DRAIN_SECONDS = 30.0

#: Outcomes are written at least this often while a claim is being delivered, and at its end.
RECORD_EVERY_SECONDS = 0.2

#: Share of the lease after which the rest of a claim is handed back rather than delivered.
CLAIM_SHARE_OF_LEASE = 0.5


#: Called once a run has claimed something; returns the id of the run on record, if any.
Started = Callable[[], int | None]


#: The ledger's side of a delivery: records the facts a connector learnt (a Stripe invoice
#: number, a customer id) in the transaction that marks the row delivered.
FactSink = Callable[[Session, Event, tuple[Fact, ...]], None]


@dataclass(frozen=True)
class DispatchSettings:
    """How a dispatcher claims: rows per claim, lease length, when to give up, facts' sink."""

    batch_size: int
    lease_seconds: float
    policy: RetryPolicy
    facts: FactSink | None = None


def is_paused(session: Session, connector: str) -> bool:
    """Tell whether an admin paused the connector; the read stays in the caller's transaction."""
    return session.get(ConnectorPause, connector) is not None


def _failure(exc: BaseException) -> tuple[ConnectorError, str]:
    """Classify what a connector raised or returned, keeping the traceback for the row."""
    text = "".join(traceback.format_exception(exc))
    if isinstance(exc, ConnectorError):
        return exc, text
    # Not classified at the connector's edge: most likely a bug, possibly a network error
    # that slipped through; retry it, and the traceback tells whoever reads the dead letter.
    return TransientError(f"Unexpected {type(exc).__name__} in the connector: {exc}"), text


#: What the connector said of one event: the error (None when delivered) and the facts learnt.
Result = tuple[BaseException | None, tuple[Fact, ...]]


def _call(connector: Connector, events: Sequence[Event]) -> dict[int, Result]:
    """Call the connector once and map each event to its error (None when delivered) and facts."""
    wanted = [e for e in events if takes_topic(connector, e.topic)]
    results: dict[int, Result] = {
        e.id: (unknown_topic(connector, e), ())
        for e in events
        if not takes_topic(connector, e.topic)
    }
    if not wanted:
        return results
    try:
        outcomes: Sequence[Outcome] = connector.deliver(wanted)
    except Exception as exc:
        return results | {e.id: (exc, ()) for e in wanted}
    for outcome in outcomes:
        results[outcome.event_id] = (outcome.error, tuple(outcome.facts))
    for event in wanted:
        results.setdefault(
            event.id, (TransientError(f"The {connector.name} connector gave no outcome."), ())
        )
    return results


def _apply_facts(
    session: Session, sink: FactSink | None, event: Event, facts: tuple[Fact, ...]
) -> BaseException | None:
    """Hand a delivered event's facts to the ledger in a savepoint; return what went wrong."""
    if sink is None or not facts:
        return None
    try:
        with session.begin_nested():
            sink(session, event, facts)
    except Exception as exc:
        # The vendor holds the effect but the ledger could not record it: retry the delivery,
        # whose idempotency keys replay the vendor's answer, and keep the traceback.
        log.exception("facts not recorded", extra={"fields": {"outbox_id": event.id}})
        return exc
    return None


def _failed_values(
    event: Event,
    first_attempt: datetime,
    error: BaseException,
    policy: RetryPolicy,
    now: datetime,
    jitter: Jitter,
) -> tuple[str, dict[str, Any]]:
    """Return what becomes of a failed event (retried or dead) and the row's new values."""
    failure, text = _failure(error)
    values: dict[str, Any] = {"last_error": failure.message[:4000], "last_traceback": text}
    if isinstance(failure, PermanentError):
        return "dead", values | {"status": OutboxStatus.DEAD}
    if policy.gives_up(event.attempt, first_attempt, now):
        message = f"Gave up after {event.attempt} attempt(s): {failure.message}"
        return "dead", values | {"status": OutboxStatus.DEAD, "last_error": message[:4000]}
    retry_after = failure.retry_after if isinstance(failure, TransientError) else None
    when = policy.next_attempt_at(event.attempt, now, retry_after, jitter)
    return "retried", values | {"status": OutboxStatus.PENDING, "next_attempt_at": when}


def _record(
    session: Session,
    claimed: Claim,
    results: Sequence[tuple[Event, Result]],
    settings: DispatchSettings,
    jitter: Jitter,
    run_id: int | None,
) -> RunCounts:
    now = utcnow()
    tally = {"delivered": 0, "retried": 0, "dead": 0}
    with write_transaction(session):
        delivered: list[tuple[Event, BaseException | None]] = []
        for event, (error, facts) in results:
            if error is None:
                error = _apply_facts(session, settings.facts, event, facts)
            delivered.append((event, error))
        done = [event.id for event, error in delivered if error is None]
        # Successes share their new values: one statement for all of them.
        settled = set(settle_delivered(session, done, claimed.token, now))
        tally["delivered"] = len(settled)
        lost = set(done) - settled
        for event, error in delivered:
            if error is None:
                continue
            first = claimed.first_attempts.get(event.id, now)
            kind, values = _failed_values(event, first, error, settings.policy, now, jitter)
            if settle(session, event.id, claimed.token, values):
                tally[kind] += 1
            else:
                lost.add(event.id)
        if run_id is not None:
            # The run on record counts what is written, in the same commit.
            session.execute(
                sa.update(JobRun)
                .where(JobRun.id == run_id)
                .values(
                    delivered=JobRun.delivered + tally["delivered"],
                    retried=JobRun.retried + tally["retried"],
                    dead=JobRun.dead + tally["dead"],
                    heartbeat_at=now,
                ),
                execution_options={"synchronize_session": False},
            )
    for row_id in sorted(lost):
        # Our lease expired and another worker took the row over: its outcome wins.
        log.warning("lease lost", extra={"fields": {"outbox_id": row_id}})
    return RunCounts(delivered=tally["delivered"], retried=tally["retried"], dead=tally["dead"])


def _handed_over(
    session: Session, claimed: Claim, chunk: list[Event], lease_seconds: float
) -> list[Event]:
    """Hand the chunk over (charge its attempt, renew its lease); keep the rows still held."""
    held = set(hand_over(session, claimed, [e.id for e in chunk], lease_seconds=lease_seconds))
    for event in chunk:
        if event.id not in held:
            # Reaped after our lease expired: another worker owns it, and maybe newer events.
            log.warning("lease lost before delivery", extra={"fields": {"outbox_id": event.id}})
    return [e for e in chunk if e.id in held]


def dispatch_batch(
    session: Session,
    connector: Connector,
    settings: DispatchSettings,
    *,
    stopping: threading.Event | None = None,
    now: datetime | None = None,
    jitter: Jitter = default_jitter,
    started: Started | None = None,
) -> tuple[int, RunCounts]:
    """Claim one batch for the connector and deliver it; return rows claimed and counts.

    A claim holds ``[jobs] batch_size`` rows, or the connector's ``max_batch`` when that is
    larger: a connector that writes many events in one call (the sheet) gets its whole
    backlog in one call, not ``batch_size`` at a time.
    """
    claimed = claim(
        session,
        connector.name,
        limit=max(settings.batch_size, connector.max_batch),
        lease_seconds=settings.lease_seconds,
        now=now or utcnow(),
    )
    counts = RunCounts()
    events = list(claimed.events)
    if not events:
        return 0, counts
    run_id = started() if started is not None else None
    step = max(1, connector.max_batch)
    unrecorded: list[tuple[Event, Result]] = []
    recorded_at = time.monotonic()
    hand_back_at = recorded_at + settings.lease_seconds * CLAIM_SHARE_OF_LEASE
    while events:
        if (stopping is not None and stopping.is_set()) or time.monotonic() >= hand_back_at:
            release(session, claimed, [e.id for e in events])
            break
        chunk, events = events[:step], events[step:]
        chunk = _handed_over(session, claimed, chunk, settings.lease_seconds)
        if not chunk:
            continue
        results = _call(connector, chunk)
        unrecorded.extend((event, results[event.id]) for event in chunk)
        if time.monotonic() - recorded_at >= RECORD_EVERY_SECONDS:
            counts = counts + _record(session, claimed, unrecorded, settings, jitter, run_id)
            unrecorded, recorded_at = [], time.monotonic()
    if unrecorded:
        counts = counts + _record(session, claimed, unrecorded, settings, jitter, run_id)
    return len(claimed.events), counts


def drain(
    session: Session,
    connector: Connector,
    settings: DispatchSettings,
    *,
    stopping: threading.Event,
    nudged: threading.Event | None = None,
    budget_seconds: float = DRAIN_SECONDS,
    started: Started | None = None,
) -> RunCounts:
    """Deliver batches until nothing is due, the budget is spent, or a stop is asked."""
    counts = RunCounts()
    if nudged is not None:
        nudged.clear()
    if is_paused(session, connector.name):
        return counts
    began = time.monotonic()
    while not stopping.is_set():
        if nudged is not None:
            nudged.clear()
        claimed, batch = dispatch_batch(
            session, connector, settings, stopping=stopping, started=started
        )
        counts = counts + batch
        if time.monotonic() - began > budget_seconds:
            if nudged is not None and claimed:
                nudged.set()  # more may be due: ask the worker for an immediate rerun
            break
        if claimed == 0 and (nudged is None or not nudged.is_set()):
            break
        if claimed and is_paused(session, connector.name):
            break
    return counts
