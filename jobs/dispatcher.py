"""The outbox dispatcher: lease due rows, hand them to their connector, record each outcome.

One pass (``dispatch_batch``) claims up to ``batch_size`` rows and commits the claim, then
calls the connector outside any transaction, ``max_batch`` events at a time. Outcomes are
written every ``RECORD_EVERY_SECONDS`` and at the end of the claim, in one transaction each:
one commit per event would cap a one-at-a-time connector at the database's commit rate, and
a worker killed before writing only causes a redelivery (delivery is at least once; the
connectors' idempotency keys make effects exactly once). When asked to stop it finishes the
chunk under way, writes the outcomes and hands the rest back untouched, so a SIGTERM loses
nothing and wastes no attempt.
``drain`` repeats passes until nothing is due (or a nudge says more arrived meanwhile).
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from connectors.base import Connector, Event, Outcome, takes_topic, unknown_topic
from connectors.errors import ConnectorError, PermanentError, TransientError
from hub.db import utcnow, write_transaction
from hub.models import ConnectorPause, OutboxStatus
from jobs.claims import Claim, claim, release, settle, settle_delivered
from jobs.retry import Jitter, RetryPolicy, default_jitter
from jobs.spec import RunCounts

log = logging.getLogger("hub.jobs.dispatcher")

#: A drain hands control back to the scheduler after this long, so its run gets recorded.
DRAIN_SECONDS = 30.0

#: Outcomes are written at least this often while a claim is being delivered, and at its end.
RECORD_EVERY_SECONDS = 0.2


@dataclass(frozen=True)
class DispatchSettings:
    """How a dispatcher claims: rows per claim, lease length, and when to give up."""

    batch_size: int
    lease_seconds: float
    policy: RetryPolicy


def is_paused(session: Session, connector: str) -> bool:
    paused = session.get(ConnectorPause, connector) is not None
    session.commit()
    return paused


def _failure(exc: BaseException) -> tuple[ConnectorError, str]:
    """Classify what a connector raised or returned, keeping the traceback for the row."""
    text = "".join(traceback.format_exception(exc))
    if isinstance(exc, ConnectorError):
        return exc, text
    # Not classified at the connector's edge: most likely a bug, possibly a network error
    # that slipped through; retry it, and the traceback tells whoever reads the dead letter.
    return TransientError(f"Unexpected {type(exc).__name__} in the connector: {exc}"), text


def _call(connector: Connector, events: Sequence[Event]) -> dict[int, BaseException | None]:
    """Call the connector once and map each event to its error, or None when delivered."""
    wanted = [e for e in events if takes_topic(connector, e.topic)]
    results: dict[int, BaseException | None] = {
        e.id: unknown_topic(connector, e) for e in events if not takes_topic(connector, e.topic)
    }
    if not wanted:
        return results
    try:
        outcomes: Sequence[Outcome] = connector.deliver(wanted)
    except Exception as exc:
        return results | {e.id: exc for e in wanted}
    for outcome in outcomes:
        results[outcome.event_id] = outcome.error
    for event in wanted:
        results.setdefault(
            event.id, TransientError(f"The {connector.name} connector gave no outcome.")
        )
    return results


def _failed_values(
    event: Event, error: BaseException, policy: RetryPolicy, now: datetime, jitter: Jitter
) -> tuple[str, dict[str, Any]]:
    """Return what becomes of a failed event (retried or dead) and the row's new values."""
    failure, text = _failure(error)
    values: dict[str, Any] = {"last_error": failure.message[:4000], "last_traceback": text}
    if isinstance(failure, PermanentError):
        return "dead", values | {"status": OutboxStatus.DEAD.value}
    if policy.gives_up(event.attempt, event.created_at, now):
        message = f"Gave up after {event.attempt} attempt(s): {failure.message}"
        return "dead", values | {"status": OutboxStatus.DEAD.value, "last_error": message[:4000]}
    retry_after = failure.retry_after if isinstance(failure, TransientError) else None
    when = policy.next_attempt_at(event.attempt, now, retry_after, jitter)
    return "retried", values | {"status": OutboxStatus.PENDING.value, "next_attempt_at": when}


def _record(
    session: Session,
    claimed: Claim,
    delivered: Sequence[tuple[Event, BaseException | None]],
    policy: RetryPolicy,
    jitter: Jitter,
) -> RunCounts:
    now = utcnow()
    tally = {"delivered": 0, "retried": 0, "dead": 0}
    done = [event.id for event, error in delivered if error is None]
    with write_transaction(session):
        # Successes share their new values: one statement for all of them.
        settled = set(settle_delivered(session, done, claimed.token, now))
        tally["delivered"] = len(settled)
        lost = set(done) - settled
        for event, error in delivered:
            if error is None:
                continue
            kind, values = _failed_values(event, error, policy, now, jitter)
            if settle(session, event.id, claimed.token, values):
                tally[kind] += 1
            else:
                lost.add(event.id)
    for row_id in sorted(lost):
        # Our lease expired and another worker took the row over: its outcome wins.
        log.warning("lease lost", extra={"fields": {"outbox_id": row_id}})
    return RunCounts(delivered=tally["delivered"], retried=tally["retried"], dead=tally["dead"])


def dispatch_batch(
    session: Session,
    connector: Connector,
    settings: DispatchSettings,
    *,
    stopping: threading.Event | None = None,
    now: datetime | None = None,
    jitter: Jitter = default_jitter,
) -> tuple[int, RunCounts]:
    """Claim one batch for the connector and deliver it; return rows claimed and counts."""
    claimed = claim(
        session,
        connector.name,
        limit=settings.batch_size,
        lease_seconds=settings.lease_seconds,
        now=now or utcnow(),
    )
    counts = RunCounts()
    events = list(claimed.events)
    step = max(1, connector.max_batch)
    unrecorded: list[tuple[Event, BaseException | None]] = []
    recorded_at = time.monotonic()
    while events:
        if stopping is not None and stopping.is_set():
            release(session, claimed, [e.id for e in events])
            break
        chunk, events = events[:step], events[step:]
        results = _call(connector, chunk)
        unrecorded.extend((event, results[event.id]) for event in chunk)
        if time.monotonic() - recorded_at >= RECORD_EVERY_SECONDS:
            counts = counts + _record(session, claimed, unrecorded, settings.policy, jitter)
            unrecorded, recorded_at = [], time.monotonic()
    if unrecorded:
        counts = counts + _record(session, claimed, unrecorded, settings.policy, jitter)
    return len(claimed.events), counts


def drain(
    session: Session,
    connector: Connector,
    settings: DispatchSettings,
    *,
    stopping: threading.Event,
    nudged: threading.Event | None = None,
    budget_seconds: float = DRAIN_SECONDS,
) -> RunCounts:
    """Deliver batches until nothing is due, the budget is spent, or a stop is asked."""
    counts = RunCounts()
    if nudged is not None:
        nudged.clear()
    if is_paused(session, connector.name):
        return counts
    started = time.monotonic()
    while not stopping.is_set():
        if nudged is not None:
            nudged.clear()
        claimed, batch = dispatch_batch(session, connector, settings, stopping=stopping)
        counts = counts + batch
        if time.monotonic() - started > budget_seconds:
            if nudged is not None and claimed:
                nudged.set()  # more may be due: ask the worker for an immediate rerun
            break
        if claimed == 0 and (nudged is None or not nudged.is_set()):
            break
        if claimed and is_paused(session, connector.name):
            break
    return counts
