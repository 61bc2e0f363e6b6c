"""The outbox's leases in SQL: claim due rows, record outcomes under the lease, release, reap.

A claim marks rows ``in_flight`` with a fresh lease token and an expiry, and commits, so the
connector is then called outside any transaction. An outcome is written only where the row
still carries that token: a worker whose lease expired and was reaped cannot overwrite the
work of the worker that took over.

Order per aggregate: a row is claimable only when no older row of the same connector and
aggregate is still undelivered (pending, in flight or dead). A dead letter therefore holds
back the rest of its order until it is replayed; different orders never wait for each other.
"""

from __future__ import annotations

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

    ``first_attempts`` maps each row to its first attempt, from which its give-up age counts.
    """

    token: str
    events: tuple[Event, ...]
    first_attempts: dict[int, datetime] = field(default_factory=dict)


def _claimable(connector: str, now: datetime, limit: int) -> sa.Select[tuple[int]]:
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
        sa.select(OutboxRow.id)
        .where(
            OutboxRow.connector == connector,
            OutboxRow.status == PENDING,
            OutboxRow.next_attempt_at <= now,
            OutboxRow.id == first_open,
        )
        .order_by(OutboxRow.id)
        .limit(limit)
    )


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
    """Lease up to ``limit`` due rows of the connector and commit the lease."""
    token = uuid.uuid4().hex
    lease = {
        "status": IN_FLIGHT,
        "lease_token": token,
        "lease_expires_at": now + timedelta(seconds=lease_seconds),
        "attempts": OutboxRow.attempts + 1,
        "first_attempt_at": sa.func.coalesce(OutboxRow.first_attempt_at, now),
    }
    with write_transaction(session):
        candidates = _claimable(connector, now, limit)
        if session.get_bind().dialect.name == "postgresql":
            # Rows another worker is claiming right now are skipped, not waited for.
            ids = list(session.scalars(candidates.with_for_update(skip_locked=True)))
            if not ids:
                return Claim(token, ())
            where: sa.ColumnElement[bool] = OutboxRow.id.in_(ids)
        else:
            # SQLite: write_transaction began IMMEDIATE, so this one statement holds the only
            # write lock from choosing the rows to leasing them.
            where = OutboxRow.id.in_(candidates.scalar_subquery())
        rows = session.execute(
            sa.update(OutboxRow).where(where).values(lease).returning(*_RETURNED),
            execution_options={"synchronize_session": False},
        ).all()
    events = tuple(
        Event(
            id=row.id,
            topic=row.topic,
            aggregate_type=row.aggregate_type,
            aggregate_ref=row.aggregate_ref,
            payload=row.payload,
            attempt=row.attempts,
            created_at=row.created_at,
        )
        for row in sorted(rows, key=lambda r: int(r.id))
    )
    return Claim(token, events, {int(row.id): row.first_attempt_at for row in rows})


def renew(session: Session, claim: Claim, row_ids: list[int], *, lease_seconds: float) -> list[int]:
    """Extend the lease on rows this claim still holds and commit; return those it holds."""
    if not row_ids:
        return []
    with write_transaction(session):
        result = session.execute(
            sa.update(OutboxRow)
            .where(
                OutboxRow.id.in_(row_ids),
                OutboxRow.lease_token == claim.token,
                OutboxRow.status == IN_FLIGHT,
            )
            .values(lease_expires_at=utcnow() + timedelta(seconds=lease_seconds))
            .returning(OutboxRow.id),
            execution_options={"synchronize_session": False},
        )
        held = {int(row_id) for row_id in result.scalars()}
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
        .values(lease_token=None, lease_expires_at=None, **values),
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
        )
        .returning(OutboxRow.id),
        execution_options={"synchronize_session": False},
    )
    return [int(row_id) for row_id in result.scalars()]


def release(session: Session, claim: Claim, row_ids: list[int]) -> int:
    """Hand leased rows back untouched, as if never claimed, and commit."""
    if not row_ids:
        return 0
    with write_transaction(session):
        result = session.execute(
            sa.update(OutboxRow)
            .where(
                OutboxRow.id.in_(row_ids),
                OutboxRow.lease_token == claim.token,
                OutboxRow.status == IN_FLIGHT,
            )
            .values(
                status=OutboxStatus.PENDING,
                lease_token=None,
                lease_expires_at=None,
                attempts=OutboxRow.attempts - 1,
                first_attempt_at=sa.case(
                    (OutboxRow.attempts <= 1, sa.null()), else_=OutboxRow.first_attempt_at
                ),
            ),
            execution_options={"synchronize_session": False},
        )
    return cast(sa.CursorResult[Any], result).rowcount


def reap(
    session: Session, *, now: datetime, max_attempts: int, max_age: timedelta
) -> tuple[int, int]:
    """Return rows whose lease expired to pending, or to the dead letters when out of tries."""
    expired = sa.and_(OutboxRow.status == IN_FLIGHT, OutboxRow.lease_expires_at < now)
    exhausted = sa.or_(
        OutboxRow.attempts >= max_attempts, OutboxRow.first_attempt_at <= now - max_age
    )
    cleared = {"lease_token": None, "lease_expires_at": None}
    with write_transaction(session):
        dead = session.execute(
            sa.update(OutboxRow)
            .where(expired, exhausted)
            .values(
                status=OutboxStatus.DEAD,
                last_error=(
                    "The worker delivering this event stopped before recording the outcome, "
                    "too many times: the event may be crashing the worker. Check the worker "
                    "logs, then replay."
                ),
                **cleared,
            ),
            execution_options={"synchronize_session": False},
        )
        requeued = session.execute(
            sa.update(OutboxRow)
            .where(expired)
            .values(
                status=OutboxStatus.PENDING,
                next_attempt_at=now,
                last_error="The lease expired before the outcome was recorded; trying again.",
                **cleared,
            ),
            execution_options={"synchronize_session": False},
        )
    return (
        cast(sa.CursorResult[Any], requeued).rowcount,
        cast(sa.CursorResult[Any], dead).rowcount,
    )


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
