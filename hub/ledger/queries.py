"""Read-side queries over orders: filtered lists with keyset pagination, fast at a million rows.

No OFFSET and no COUNT(*) of the whole table: each page asks for ``limit + 1`` rows after
the cursor along an indexed order, so page N costs what page 1 costs.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from hub.errors import N_, InvalidInput
from hub.ledger.actor import Actor
from hub.ledger.order_access import get_order
from hub.ledger.order_rows import OrderRow, order_rows_select, read_order_rows
from hub.ledger.search import customer_ids_matching
from hub.models import BillingStatus, Order, OrderEvent, OrderStatus, Role
from hub.sql import business_zone, utcnow

MAX_LIMIT = 200
#: How old a change must be before an updated_since listing shows it. A transaction stamps
#: updated_at before it commits, so a slow one can commit after a later change was listed;
#: waiting longer than any write transaction lasts means a client resuming from the last
#: updated_at it saw never skips a row that committed late.
SETTLE = timedelta(seconds=30)
MAX_CURSOR_LENGTH = 200
_MAX_CUSTOMER_IDS = 200
#: The longest digit string read as an order number; it always fits a 32-bit column.
ORDER_ID_DIGITS = 9


def order_with_history(session: Session, ref: str) -> Order:
    """Return one order with its history and who made each change, loaded for display."""
    order = get_order(session, ref)
    session.scalars(
        sa.select(OrderEvent)
        .where(OrderEvent.order_id == order.id)
        .options(selectinload(OrderEvent.actor))
    ).all()
    return order


def order_events(session: Session, order: Order) -> list[OrderEvent]:
    """Return an order's history, oldest first, with who made each change, in one query."""
    return list(
        session.scalars(
            sa.select(OrderEvent)
            .where(OrderEvent.order_id == order.id)
            .options(selectinload(OrderEvent.actor))
            .order_by(OrderEvent.id)
        )
    )


def encode_cursor(values: dict[str, Any]) -> str:
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    """Read an opaque cursor handed out by list_orders, refusing anything else."""
    # Ours are well under the limit; a long one could nest deep enough to exhaust the stack.
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidInput(N_("This page link is damaged; start again."), field="cursor")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values: dict[str, Any] = json.loads(raw)
    except (ValueError, binascii.Error, RecursionError) as exc:
        raise InvalidInput(N_("This page link is damaged; start again."), field="cursor") from exc
    last_id = values.get("id") if isinstance(values, dict) else None
    # Bounded so that a forged cursor cannot overflow an integer column (a 500, not a 422).
    if isinstance(last_id, bool) or not isinstance(last_id, int) or not 0 < last_id < 2**31:
        raise InvalidInput(N_("This page link is damaged; start again."), field="cursor")
    return values


def state_filter(
    value: str | None, states: type[OrderStatus] | type[BillingStatus], field: str
) -> str | None:
    """Return the state to filter by (None when blank), or raise InvalidInput naming the field."""
    value = (value or "").strip()
    if not value:
        return None
    allowed = [member.value for member in states]
    if value not in allowed:
        raise InvalidInput(
            N_("“%(value)s” is not one of: %(allowed)s."),
            field=field,
            value=value[:40],
            allowed=", ".join(allowed),
        )
    return value


def _text_filter(session: Session, q: str) -> sa.ColumnElement[bool]:
    """Match an order reference or number exactly, or any customer whose search key holds q."""
    clauses: list[sa.ColumnElement[bool]] = [Order.ref == q.strip().upper()]
    customers = customer_ids_matching(session, q)
    if customers is not None:
        # A short list of ids lets each OR branch use its own index; inside an OR a subquery
        # would be a filter over every order. Broad words keep the subquery: matches are dense.
        found = list(session.scalars(customers.limit(_MAX_CUSTOMER_IDS + 1)))
        if found:
            matching = customers if len(found) > _MAX_CUSTOMER_IDS else found
            clauses.append(Order.customer_id.in_(matching))
    digits = q.strip().lstrip("#")
    # Longer digit strings are phone numbers, and would overflow the 32-bit id column.
    # isascii(): str.isdigit() also accepts digits such as "²" that int() refuses.
    if digits.isascii() and digits.isdigit() and len(digits) <= ORDER_ID_DIGITS:
        clauses.append(Order.id == int(digits))
    return sa.or_(*clauses)


def _day_start(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def list_orders(
    session: Session,
    actor: Actor,
    *,
    status: str | None = None,
    billing_status: str | None = None,
    updated_since: datetime | None = None,
    provider_id: int | None = None,
    customer_id: int | None = None,
    q: str | None = None,
    day_from: date | None = None,
    day_to: date | None = None,
    cursor: str | None = None,
    limit: int = 50,
    with_lines: bool = False,
) -> tuple[list[OrderRow], str | None]:
    """Return one page of the orders the actor may see, and the cursor of the next page or None.

    Newest first by default; with ``updated_since``, oldest change first so that a client
    syncing changes can resume from the cursor, and only changes older than SETTLE (30 s),
    so that one committed late is never skipped. ``day_from``/``day_to`` bound the scheduled
    day (inclusive) in the business's time zone.
    """
    limit = max(1, min(limit, MAX_LIMIT))
    stmt = order_rows_select()
    if actor.role == Role.PROVIDER:
        # Providers see only their own missions, whatever filter they ask for.
        stmt = stmt.where(Order.provider_id == (actor.user_id or -1))
    status = state_filter(status, OrderStatus, "status")
    if status:
        stmt = stmt.where(Order.status == status)
    billing_status = state_filter(billing_status, BillingStatus, "billing_status")
    if billing_status:
        stmt = stmt.where(Order.billing_status == billing_status)
    if provider_id is not None:
        stmt = stmt.where(Order.provider_id == provider_id)
    if customer_id is not None:
        stmt = stmt.where(Order.customer_id == customer_id)
    if q and q.strip():
        stmt = stmt.where(_text_filter(session, q[:200]))
    zone = business_zone(session)
    if day_from is not None:
        stmt = stmt.where(Order.scheduled_at >= _day_start(day_from, zone))
    if day_to is not None:
        stmt = stmt.where(Order.scheduled_at < _day_start(day_to + timedelta(days=1), zone))
    after = decode_cursor(cursor) if cursor else None
    if updated_since is not None:
        if updated_since.tzinfo is None:
            raise InvalidInput(N_("Give the time zone of updated_since."), field="updated_since")
        stmt = stmt.where(Order.updated_at >= updated_since, Order.updated_at <= utcnow() - SETTLE)
        if after is not None:
            try:
                seen = datetime.fromisoformat(str(after.get("u")))
            except ValueError as exc:
                raise InvalidInput(
                    N_("This page link is damaged; start again."), field="cursor"
                ) from exc
            if seen.tzinfo is None or not 1970 <= seen.year <= 2999:
                raise InvalidInput(N_("This page link is damaged; start again."), field="cursor")
            stmt = stmt.where(
                sa.or_(
                    Order.updated_at > seen,
                    sa.and_(Order.updated_at == seen, Order.id > after["id"]),
                )
            )
        stmt = stmt.order_by(Order.updated_at, Order.id)
    else:
        if after is not None:
            stmt = stmt.where(Order.id < after["id"])
        stmt = stmt.order_by(Order.id.desc())
    rows = read_order_rows(session, stmt.limit(limit + 1), with_lines=with_lines)
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    values: dict[str, Any] = {"id": last.id}
    if updated_since is not None:
        values["u"] = last.updated_at.isoformat()
    return rows, encode_cursor(values)
