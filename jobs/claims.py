"""The outbox's leases in SQL: claim due rows, record outcomes under the lease, release, reap.

A claim marks rows ``in_flight`` with a fresh lease token and an expiry, and commits, so the
connector is then called outside any transaction. An outcome is written only where the row
still carries that token: a worker whose lease expired and was reaped cannot overwrite the
work of the worker that took over.

Attempts are charged when a row is handed to its connector (``hand_over``), not when it is
claimed: a row that waited in a claim behind an event that crashed the worker was never tried.
The reaper counts a lease that expired after a hand-over as a lost lease; a row that lost one
is claimed alone from then on, so its outcome is recorded before anything else is handed
over, and an event that kills its worker dies alone, after ``max_attempts`` crashes.

Order per aggregate: a row is claimable only when no older row of the same connector and
aggregate is still undelivered (pending, in flight or dead). A dead letter therefore holds
back the rest of its order until it is replayed; different orders never wait for each other.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from connectors.base import Event
from hub.db import utcnow, write_transaction
from hub.models import OutboxRow, OutboxStatus

# Status values are written as SQL literals, not parameters: the partial indexes
# ix_outbox_pending and ix_outbox_open are only usable when the query spells out the same
# condition (on SQLite always, on PostgreSQL once psycopg prepares the statement).
PENDING: sa.ColumnElement[str] = sa.literal_column("'pending'")
IN_FLIGHT: sa.ColumnElement[str] = sa.literal_column("'in_flight'")
DELIVERED: sa.ColumnElement[str] = sa.literal_column("'delivered'")


@dataclass(frozen=True)
class Claim:
    """Rows this worker leased, as connector events, and the token that proves the lease.

    ``first_attempts`` maps each row to its first attempt, from which its give-up age counts;
    ``hand_over`` adds the rows tried for the first time.
    """

    token: str
    events: tuple[Event, ...]
    first_attempts: dict[int, datetime] = field(default_factory=dict)


def _claimable(connector: str, now: datetime, limit: int) -> sa.Select[tuple[int, int]]:
    older = aliased(OutboxRow, name="older")
    # "The oldest undelivered row of its aggregate", as a correlated scalar subquery: both
    # databases run it per candidate as one probe of ix_outbox_open, whatever their
    # statistics say (an anti-join can go quadratic on a freshly filled table).
    first_open = (
        sa.select(sa.func.min(older.id))
        .where(
            older.connector == OutboxRow.connector,
            older.aggregate_ref == OutboxRow.aggregate_ref,
            older.status != DELIVERED,
        )
        .scalar_subquery()
    )
    return (
        sa.select(OutboxRow.id, OutboxRow.lost_leases)
        .where(
            OutboxRow.connector == connector,
            OutboxRow.status == PENDING,
            OutboxRow.next_attempt_at <= now,
            OutboxRow.id == first_open,
        )
        .order_by(OutboxRow.id)
        .limit(limit)
    )


def alone_or_together(candidates: list[tuple[int, int]]) -> list[int]:
    """Pick from ``(id, lost_leases)`` candidates: a suspect alone, else rows up to the next."""
    if candidates and candidates[0][1]:
        return [candidates[0][0]]
    innocent = itertools.takewhile(lambda candidate: not candidate[1], candidates)
    return [row_id for row_id, _ in innocent]


_RETURNED = (
    OutboxRow.id,
    OutboxRow.topic,
    OutboxRow.aggregate_type,
    OutboxRow.aggregate_ref,
    OutboxRow.payload,
    OutboxRow.attempts,
    OutboxRow.created_at,
    OutboxRow.first_attempt_at,
)


def claim(
    session: Session, connector: str, *, limit: int, lease_seconds: float, now: datetime
) -> Claim:
    """Lease up to ``limit`` due rows of the connector and commit the lease.

    A row that lost a lease is leased alone; other rows are leased together, up to the first
    such row. No attempt is charged here: ``hand_over`` charges it.
    """
    token = uuid.uuid4().hex
    lease = {
        "status": IN_FLIGHT,
        "lease_token": token,
        "lease_expires_at": now + timedelta(seconds=lease_seconds),
        "handed_over": False,
    }
    with write_transaction(session):
        candidates = _claimable(connector, now, limit)
        if session.get_bind().dialect.name == "postgresql":
            # Rows another worker is claiming right now are skipped, not waited for.
            candidates = candidates.with_for_update(skip_locked=True)
        # On SQLite write_transaction began IMMEDIATE: this transaction holds the only write
        # lock from choosing the rows to leasing them.
        found = [(int(row_id), int(lost)) for row_id, lost in session.execute(candidates)]
        ids = alone_or_together(found)
        if not ids:
            return Claim(token, ())
        rows = session.execute(
            sa.update(OutboxRow).where(OutboxRow.id.in_(ids)).values(lease).returning(*_RETURNED),
            execution_options={"synchronize_session": False},
        ).all()
    events = tuple(
        Event(
            id=row.id,
            topic=row.topic,
            aggregate_type=row.aggregate_type,
            aggregate_ref=row.aggregate_ref,
            payload=row.payload,
            # The attempt this will be once handed over.
            attempt=row.attempts + 1,
            created_at=row.created_at,
        )
        for row in sorted(rows, key=lambda r: int(r.id))
    )
    firsts = {int(row.id): row.first_attempt_at for row in rows if row.first_attempt_at}
    return Claim(token, events, firsts)


def hand_over(
    session: Session,
    claim: Claim,
    row_ids: list[int],
    *,
    lease_seconds: float,
    now: datetime | None = None,
) -> list[int]:
    """Charge an attempt on the rows this claim still holds, renew their lease, and commit.

    Return the rows it still held, which the caller may now hand to the connector; any other
    was reaped meanwhile and belongs to another worker.
    """
    if not row_ids:
        return []
    now = now or utcnow()
    with write_transaction(session):
        result = session.execute(
            sa.update(OutboxRow)
            .where(
                OutboxRow.id.in_(row_ids),
                OutboxRow.lease_token == claim.token,
                OutboxRow.status == IN_FLIGHT,
            )
            .values(
                lease_expires_at=now + timedelta(seconds=lease_seconds),
                handed_over=True,
                attempts=OutboxRow.attempts + 1,
                first_attempt_at=sa.func.coalesce(OutboxRow.first_attempt_at, now),
            )
            .returning(OutboxRow.id, OutboxRow.first_attempt_at),
            execution_options={"synchronize_session": False},
        )
        held = {int(row_id): first for row_id, first in result.all()}
    for row_id, first in held.items():
        claim.first_attempts.setdefault(row_id, first)
    return [row_id for row_id in row_ids if row_id in held]


def _under_lease(row_id: int, token: str) -> sa.ColumnElement[bool]:
    return sa.and_(
        OutboxRow.id == row_id, OutboxRow.lease_token == token, OutboxRow.status == IN_FLIGHT
    )


def settle(session: Session, row_id: int, token: str, values: dict[str, Any]) -> bool:
    """Write an outcome on a row if this lease still holds it; the caller's transaction."""
    result = session.execute(
        sa.update(OutboxRow)
        .where(_under_lease(row_id, token))
        .values(lease_token=None, lease_expires_at=None, handed_over=False, **values),
        execution_options={"synchronize_session": False},
    )
    return cast(sa.CursorResult[Any], result).rowcount == 1


def settle_delivered(session: Session, row_ids: list[int], token: str, now: datetime) -> list[int]:
    """Mark rows delivered where this lease still holds them; return those it marked."""
    if not row_ids:
        return []
    result = session.execute(
        sa.update(OutboxRow)
        .where(
            OutboxRow.id.in_(row_ids),
            OutboxRow.lease_token == token,
            OutboxRow.status == IN_FLIGHT,
        )
        .values(
            status=OutboxStatus.DELIVERED,
            delivered_at=now,
            lease_token=None,
            lease_expires_at=None,
            handed_over=False,
        )
        .returning(OutboxRow.id),
        execution_options={"synchronize_session": False},
    )
    return [int(row_id) for row_id in result.scalars()]


def release(session: Session, claim: Claim, row_ids: list[int]) -> int:
    """Hand back leased rows not yet handed over, untouched as if never claimed, and commit."""
    if not row_ids:
        return 0
    with write_transaction(session):
        result = session.execute(
            sa.update(OutboxRow)
            .where(
                OutboxRow.id.in_(row_ids),
                OutboxRow.lease_token == claim.token,
                OutboxRow.status == IN_FLIGHT,
                OutboxRow.handed_over == sa.false(),
            )
            .values(status=PENDING, lease_token=None, lease_expires_at=None),
            execution_options={"synchronize_session": False},
        )
    return cast(sa.CursorResult[Any], result).rowcount


def reap(
    session: Session, *, now: datetime, max_attempts: int, max_age: timedelta
) -> tuple[int, int]:
    """Return rows whose lease expired to pending, or to the dead letters when out of tries.

    Only a row handed to its connector was tried: it loses a lease (and is claimed alone from
    then on) and may run out of tries. A row that waited in the claim comes back untouched.
    """
    expired = sa.and_(OutboxRow.status == IN_FLIGHT, OutboxRow.lease_expires_at < now)
    tried = OutboxRow.handed_over == sa.true()
    exhausted = sa.or_(
        OutboxRow.attempts >= max_attempts, OutboxRow.first_attempt_at <= now - max_age
    )
    cleared = {"lease_token": None, "lease_expires_at": None, "handed_over": False}
    lost = OutboxRow.lost_leases + 1
    with write_transaction(session):
        dead = session.execute(
            sa.update(OutboxRow)
            .where(expired, tried, exhausted)
            .values(
                status=OutboxStatus.DEAD,
                lost_leases=lost,
                last_error=(
                    sa.literal("The worker delivering this event stopped before recording the ")
                    + sa.literal("outcome, ")
                    + sa.cast(lost, sa.String)
                    + sa.literal(
                        " time(s): the event may be crashing the worker. Check the worker "
                        "logs, then replay."
                    )
                ),
                **cleared,
            ),
            execution_options={"synchronize_session": False},
        )
        retried = session.execute(
            sa.update(OutboxRow)
            .where(expired, tried)
            .values(
                status=PENDING,
                next_attempt_at=now,
                lost_leases=lost,
                last_error=(
                    "The lease expired after the event was handed to the connector, before the "
                    "outcome was recorded; trying again, alone."
                ),
                **cleared,
            ),
            execution_options={"synchronize_session": False},
        )
        untried = session.execute(
            sa.update(OutboxRow).where(expired).values(status=PENDING, **cleared),
            execution_options={"synchronize_session": False},
        )
    requeued = sum(cast(sa.CursorResult[Any], r).rowcount for r in (retried, untried))
    return requeued, cast(sa.CursorResult[Any], dead).rowcount


def prune(session: Session, *, before: datetime, chunk: int = 1000) -> int:
    """Delete delivered rows delivered before the cutoff, a chunk per transaction."""
    total = 0
    while True:
        with write_transaction(session):
            ids = list(
                session.scalars(
                    sa.select(OutboxRow.id)
                    .where(OutboxRow.status == DELIVERED, OutboxRow.delivered_at < before)
                    .limit(chunk)
                )
            )
            if ids:
                session.execute(
                    sa.delete(OutboxRow).where(OutboxRow.id.in_(ids)),
                    execution_options={"synchronize_session": False},
                )
        total += len(ids)
        if len(ids) < chunk:
            return total
