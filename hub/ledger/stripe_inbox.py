"""Stripe's inbox: keep each verified event once, hand received ones out, record how they ended.

The webhook route stores an event before answering (persist first, act second); the worker
applies it later (``hub.ledger.stripe_news``). Only what was applied or ignored counts as
done: a redelivered event whose application failed goes back to ``received``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.ledger.validation import LAST_YEAR
from hub.models import InboxStatus, StripeEvent
from hub.sql import use_case, utcnow

#: The longest error kept on a failed event.
MAX_ERROR = 2000
#: The latest creation time an event may carry (the parsers' LAST_YEAR): later is no clock's.
LAST_CREATED = int(datetime(LAST_YEAR, 12, 31, tzinfo=UTC).timestamp())


class Receipt(enum.StrEnum):
    """What storing an event did."""

    STORED = "stored"
    #: Seen before and applied, ignored or waiting: nothing changed.
    DUPLICATE = "duplicate"
    #: Seen before, its application failed: it waits to be applied again.
    REDELIVERED = "redelivered"


class MalformedEvent(ValueError):
    """The body is not a Stripe event: no id, type, creation time or mode."""


def check_event(event: Any) -> Mapping[str, Any]:
    """Return the event if it has the fields the inbox keeps, else raise MalformedEvent."""
    if not isinstance(event, Mapping):
        raise MalformedEvent("The body is not a JSON object.")
    if not isinstance(event.get("id"), str) or not event["id"] or len(event["id"]) > 255:
        raise MalformedEvent("The event has no id.")
    if not isinstance(event.get("type"), str) or not event["type"] or len(event["type"]) > 100:
        raise MalformedEvent("The event has no type.")
    created = event.get("created")
    if (
        isinstance(created, bool)
        or not isinstance(created, int)
        or not 0 <= created <= LAST_CREATED
    ):
        raise MalformedEvent("The event has no creation time.")
    if not isinstance(event.get("livemode"), bool):
        raise MalformedEvent("The event does not say whether it is live.")
    return event


def storable(value: Any) -> Any:
    """Return JSON data without NUL characters, which PostgreSQL's JSON columns refuse.

    A NUL can only come from text someone typed into Stripe; dropping it loses nothing that
    the hub reads, and storing the event beats answering Stripe a 500 it would retry for days.
    """
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, Mapping):
        return {storable(key): storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [storable(item) for item in value]
    return value


@use_case
def store_event(session: Session, event: Mapping[str, Any]) -> Receipt:
    """Keep a checked event once, unique on its id; a failed one is set back to received."""
    event = check_event(storable(event))
    existing = session.scalar(
        sa.select(StripeEvent).where(StripeEvent.event_id == event["id"]).with_for_update()
    )
    if existing is not None:
        return _seen_again(existing, event)
    row = StripeEvent(
        event_id=event["id"],
        type=event["type"],
        livemode=event["livemode"],
        created=datetime.fromtimestamp(event["created"], UTC),
        payload=dict(event),
        status=InboxStatus.RECEIVED,
    )
    try:
        # Two deliveries of one event may race on PostgreSQL: the unique id decides.
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return Receipt.DUPLICATE
    return Receipt.STORED


def _seen_again(row: StripeEvent, event: Mapping[str, Any]) -> Receipt:
    if row.status != InboxStatus.FAILED:
        return Receipt.DUPLICATE
    row.status = InboxStatus.RECEIVED
    row.payload = dict(event)
    return Receipt.REDELIVERED


def received_ids(session: Session, limit: int) -> list[int]:
    """Return the ids of events waiting to be applied, in the order Stripe created them."""
    return list(
        session.scalars(
            sa.select(StripeEvent.id)
            .where(StripeEvent.status == InboxStatus.RECEIVED)
            .order_by(StripeEvent.created, StripeEvent.id)
            .limit(limit)
        )
    )


def claim(session: Session, row_id: int) -> StripeEvent | None:
    """Lock a received event for this transaction; None when another worker has it or it is done."""
    return session.scalar(
        sa.select(StripeEvent)
        .where(StripeEvent.id == row_id, StripeEvent.status == InboxStatus.RECEIVED)
        .with_for_update(skip_locked=True)
    )


def finish(row: StripeEvent, status: InboxStatus, note: str | None = None) -> None:
    """Record that an event was applied or ignored (with why, when there is something to say)."""
    row.status = status
    row.attempts += 1
    row.applied_at = utcnow()
    row.last_error = note


@use_case
def mark_failed(session: Session, row_id: int, error: str) -> None:
    """Record that applying an event failed; it is applied again when Stripe redelivers it."""
    row = session.get(StripeEvent, row_id, with_for_update=True)
    if row is None or row.status != InboxStatus.RECEIVED:
        return
    row.status = InboxStatus.FAILED
    row.attempts += 1
    row.last_error = error[:MAX_ERROR]


def known_event_ids(session: Session, event_ids: list[str]) -> set[str]:
    """Return which of these Stripe event ids the inbox already holds."""
    if not event_ids:
        return set()
    return set(
        session.scalars(sa.select(StripeEvent.event_id).where(StripeEvent.event_id.in_(event_ids)))
    )


def inbox_counts(session: Session) -> dict[InboxStatus, int]:
    """Return how many events the inbox holds in each status."""
    rows = session.execute(
        sa.select(StripeEvent.status, sa.func.count()).group_by(StripeEvent.status)
    )
    return {InboxStatus(status): int(count) for status, count in rows}
