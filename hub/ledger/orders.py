"""Create orders and move them through fulfilment and billing, with history and outbox rows."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from hub.db import business_zone, utcnow
from hub.errors import N_, InvalidInput, NotFound, StaleEdit
from hub.ledger import states, validation
from hub.ledger.actor import Actor
from hub.ledger.actor import require_staff as _require_staff
from hub.ledger.billing import check_billable, starts_billing

# Re-exported: callers build OrderInput next to the create/update functions that take it.
from hub.ledger.order_input import LineInput as LineInput
from hub.ledger.order_input import OrderInput as OrderInput
from hub.ledger.order_lines import build_lines
from hub.ledger.outbox import enqueue
from hub.ledger.snapshots import order_snapshot
from hub.models import (
    BillingStatus,
    Customer,
    Order,
    OrderEvent,
    OrderStatus,
    Role,
    User,
)

# -- reading -------------------------------------------------------------------------------


def get_order(session: Session, ref: str) -> Order:
    """Load an order by reference, with its lines, or raise NotFound."""
    stmt = sa.select(Order).where(Order.ref == ref).options(selectinload(Order.lines))
    order = session.scalars(stmt).first()
    if order is None:
        raise NotFound(N_("No order %(ref)s."), ref=ref[:40])
    return order


def can_see(actor: Actor, order: Order) -> bool:
    """Tell whether the actor may see the order: providers see only their own missions."""
    if actor.role == Role.PROVIDER:
        return order.provider_id is not None and order.provider_id == actor.user_id
    return True


def get_visible_order(session: Session, actor: Actor, ref: str) -> Order:
    order = get_order(session, ref)
    if not can_see(actor, order):
        # Same answer as a missing order, so providers cannot probe other references.
        raise NotFound(N_("No order %(ref)s."), ref=ref[:40])
    return order


# -- writing -------------------------------------------------------------------------------


def _check_version(order: Order, expected_version: int | None) -> None:
    if expected_version is not None and order.version != expected_version:
        raise StaleEdit(
            N_(
                "Someone else changed order %(ref)s meanwhile. Your changes were not saved; "
                "review the order as it is now, then apply them again."
            ),
            ref=order.ref,
        )


def _provider(session: Session, provider_id: int | None) -> User | None:
    if provider_id is None:
        return None
    user = session.get(User, provider_id)
    if user is None or user.role != Role.PROVIDER or not user.active:
        raise InvalidInput(N_("Choose an active provider."), field="provider_id")
    return user


def _record(
    session: Session,
    order: Order,
    actor: Actor,
    kind: str,
    topic: str | None,
    *,
    from_status: str | None = None,
    from_billing: str | None = None,
    changes: dict[str, Any] | None = None,
    status_changed: bool = False,
) -> None:
    """Append the history line and the outbox rows for a change, in the caller's transaction."""
    order.updated_at = utcnow()
    session.flush()
    session.add(
        OrderEvent(
            order_id=order.id,
            actor_id=actor.user_id,
            actor_label=actor.label,
            kind=kind,
            from_status=from_status,
            to_status=order.status if status_changed or from_status is not None else None,
            from_billing=from_billing,
            to_billing=order.billing_status if from_billing is not None else None,
            changes=changes or {},
        )
    )
    if topic is not None:
        assert order.ref is not None
        enqueue(session, topic, "order", order.ref, {"order": order_snapshot(order)})


def order_reference(order_id: int, created_at: datetime, zone: tzinfo) -> str:
    """Name an order by the business's calendar year of its creation and its number."""
    return f"C-{created_at.astimezone(zone).year}-{order_id:06d}"


def create_order(session: Session, actor: Actor, data: OrderInput) -> Order:
    """Record a new order with its lines, history and outbox rows; the caller commits."""
    _require_staff(actor)
    customer = session.get(Customer, data.customer_id)
    if customer is None:
        raise InvalidInput(N_("No customer %(id)s."), field="customer_id", id=data.customer_id)
    provider = _provider(session, data.provider_id)
    lines = build_lines(session, data.lines)
    order = Order(
        customer=customer,
        provider=provider,
        created_by_id=actor.user_id,
        scheduled_at=data.scheduled_at,
        notes=data.notes,
        status=OrderStatus.NEW.value,
        billing_status=BillingStatus.UNBILLED.value,
        lines=lines,
        total_cents=sum(line.amount_cents for line in lines),
        vat_cents=sum(line.vat_cents for line in lines),
    )
    session.add(order)
    session.flush()
    order.ref = order_reference(order.id, order.created_at, business_zone(session))
    _record(session, order, actor, "created", "order.created", status_changed=True)
    if provider is not None and data.scheduled_at is not None:
        schedule_order(session, actor, order.ref, data.scheduled_at, provider.id)
    return order


def update_order(
    session: Session, actor: Actor, ref: str, data: OrderInput, *, expected_version: int | None
) -> Order:
    """Replace an unbilled, open order's lines, notes, time and provider."""
    _require_staff(actor)
    order = get_order(session, ref)
    _check_version(order, expected_version)
    if not states.is_editable(order.status, order.billing_status):
        raise InvalidInput(N_("Only open, unbilled orders can be edited."))
    if data.customer_id != order.customer_id:
        raise InvalidInput(N_("The customer of an order cannot change."), field="customer_id")
    # The current provider stays acceptable even if deactivated since it was chosen.
    if data.provider_id is not None and data.provider_id == order.provider_id:
        provider = order.provider
    else:
        provider = _provider(session, data.provider_id)
    # A scheduled mission keeps a time and a provider; to drop them, cancel and re-order.
    if order.status == OrderStatus.SCHEDULED:
        if data.scheduled_at is None:
            raise InvalidInput(N_("A scheduled order needs a date and time."), field="scheduled_at")
        if provider is None:
            raise InvalidInput(N_("A scheduled order needs a provider."), field="provider_id")
    before = order_snapshot(order)
    order.lines = build_lines(session, data.lines, list(order.lines))
    order.total_cents = sum(line.amount_cents for line in order.lines)
    order.vat_cents = sum(line.vat_cents for line in order.lines)
    order.notes = data.notes
    order.scheduled_at = data.scheduled_at
    order.provider = provider
    session.flush()
    after = order_snapshot(order)
    changed = {
        key: {"from": before[key], "to": after[key]}
        for key in ("total_cents", "notes", "scheduled_at", "provider", "lines")
        if before[key] != after[key]
    }
    _record(session, order, actor, "edited", "order.updated", changes=changed)
    return order


def schedule_order(
    session: Session,
    actor: Actor,
    ref: str,
    scheduled_at: datetime | None,
    provider_id: int | None,
    *,
    expected_version: int | None = None,
) -> Order:
    """Give an order a time and a provider (or new ones): new/scheduled -> scheduled."""
    _require_staff(actor)
    order = get_order(session, ref)
    _check_version(order, expected_version)
    states.check_fulfilment(order.status, OrderStatus.SCHEDULED)
    when = scheduled_at or order.scheduled_at
    if when is None:
        raise InvalidInput(N_("Choose a date and time."), field="scheduled_at")
    provider = _provider(session, provider_id) if provider_id else order.provider
    if provider is None:
        raise InvalidInput(N_("Choose an active provider."), field="provider_id")
    previous = order.status
    before = {
        "scheduled_at": order.scheduled_at.isoformat() if order.scheduled_at else None,
        "provider": order.provider.name if order.provider else None,
    }
    after = {"scheduled_at": when.isoformat(), "provider": provider.name}
    # Only what moved: an order scheduled at creation already carries its time and provider.
    changes = {
        key: {"from": before[key], "to": after[key]} for key in before if before[key] != after[key]
    }
    order.scheduled_at = when
    order.provider = provider
    order.status = OrderStatus.SCHEDULED.value
    _record(
        session, order, actor, "scheduled", "order.scheduled", from_status=previous, changes=changes
    )
    return order


def complete_order(
    session: Session, actor: Actor, ref: str, *, expected_version: int | None = None
) -> Order:
    """Mark a scheduled mission done; providers may do so only for their own missions."""
    order = get_order(session, ref)
    if actor.role == Role.PROVIDER:
        if not can_see(actor, order):
            raise NotFound(N_("No order %(ref)s."), ref=ref[:40])
    else:
        _require_staff(actor)
    _check_version(order, expected_version)
    states.check_fulfilment(order.status, OrderStatus.DONE)
    previous = order.status
    order.status = OrderStatus.DONE.value
    order.completed_at = utcnow()
    _record(session, order, actor, "done", "order.done", from_status=previous)
    return order


def cancel_order(
    session: Session,
    actor: Actor,
    ref: str,
    reason: str | None = None,
    *,
    expected_version: int | None = None,
) -> Order:
    """Cancel an order; a done order's billing is reversed downstream (void or credit note)."""
    _require_staff(actor)
    order = get_order(session, ref)
    _check_version(order, expected_version)
    states.check_fulfilment(order.status, OrderStatus.CANCELLED)
    previous = order.status
    order.status = OrderStatus.CANCELLED.value
    note = validation.text(reason, "reason", max_length=500)
    _record(
        session,
        order,
        actor,
        "cancelled",
        "order.cancelled",
        from_status=previous,
        changes={"reason": note} if note else {},
    )
    return order


def apply_billing_news(
    session: Session, actor: Actor, ref: str, target: str, details: dict[str, Any] | None = None
) -> bool:
    """Move billing forward on news from the billing system; stale news changes nothing."""
    order = get_order(session, ref)
    if order.billing_status == target or not states.billing_allows(order.billing_status, target):
        return False
    if starts_billing(order.billing_status, target):
        check_billable(order)
    previous = order.billing_status
    order.billing_status = BillingStatus(target).value
    _record(
        session,
        order,
        actor,
        f"billing_{target}",
        "order.billing_changed",
        from_billing=previous,
        changes=details or {},
    )
    return True
