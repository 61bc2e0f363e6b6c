"""Move an order through fulfilment: schedule, mark done, cancel."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from hub.errors import N_, InvalidInput, NotFound
from hub.ledger import states, validation
from hub.ledger.actor import Actor, require_staff
from hub.ledger.history import check_version, record_change
from hub.ledger.order_access import active_provider, can_see, get_order
from hub.models import Order, OrderStatus, Role
from hub.sql import use_case, utcnow


@use_case
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
    require_staff(actor)
    order = get_order(session, ref)
    check_version(order, expected_version)
    states.check_fulfilment(order.status, OrderStatus.SCHEDULED)
    when = scheduled_at or order.scheduled_at
    if when is None:
        raise InvalidInput(N_("Choose a date and time."), field="scheduled_at")
    provider = active_provider(session, provider_id) if provider_id else order.provider
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
    order.status = OrderStatus.SCHEDULED
    record_change(
        session, order, actor, "scheduled", "order.scheduled", from_status=previous, changes=changes
    )
    return order


@use_case
def complete_order(
    session: Session, actor: Actor, ref: str, *, expected_version: int | None = None
) -> Order:
    """Mark a scheduled mission done; providers may do so only for their own missions."""
    order = get_order(session, ref)
    if actor.role == Role.PROVIDER:
        if not can_see(actor, order):
            raise NotFound(N_("No order %(ref)s."), ref=ref[:40])
    else:
        require_staff(actor)
    check_version(order, expected_version)
    states.check_fulfilment(order.status, OrderStatus.DONE)
    previous = order.status
    order.status = OrderStatus.DONE
    order.completed_at = utcnow()
    record_change(session, order, actor, "done", "order.done", from_status=previous)
    return order


@use_case
def cancel_order(
    session: Session,
    actor: Actor,
    ref: str,
    reason: str | None = None,
    *,
    expected_version: int | None = None,
) -> Order:
    """Cancel an order; a done order's billing is reversed downstream (void or credit note)."""
    require_staff(actor)
    order = get_order(session, ref)
    check_version(order, expected_version)
    states.check_fulfilment(order.status, OrderStatus.CANCELLED)
    previous = order.status
    order.status = OrderStatus.CANCELLED
    note = validation.text(reason, "reason", max_length=500)
    record_change(
        session,
        order,
        actor,
        "cancelled",
        "order.cancelled",
        from_status=previous,
        changes={"reason": note} if note else {},
    )
    return order
