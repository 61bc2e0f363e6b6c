"""Move an order through fulfilment: schedule, mark done, reopen, cancel."""

from __future__ import annotations

from datetime import date, datetime, tzinfo

from sqlalchemy.orm import Session

from hub.errors import N_, InvalidInput, NotFound, NotYetDue
from hub.ledger import invoicing, states, validation
from hub.ledger.actor import Actor, require_staff
from hub.ledger.history import check_version, record_change
from hub.ledger.order_access import active_provider, can_see, get_order
from hub.models import Order, OrderStatus, Role
from hub.sql import business_zone, use_case, utcnow


def completion_day(scheduled_at: datetime | None, zone: tzinfo) -> date | None:
    """Return the local day from which a provider may mark a mission done (its scheduled day)."""
    return scheduled_at.astimezone(zone).date() if scheduled_at is not None else None


def is_due(scheduled_at: datetime | None, zone: tzinfo, now: datetime) -> bool:
    """Tell whether a mission's day has come in the business time zone (or it has no time)."""
    day = completion_day(scheduled_at, zone)
    return day is None or day <= now.astimezone(zone).date()


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
    states.check_schedule(order.status)
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
    """Mark a scheduled mission done; a provider only their own, and from its scheduled day.

    Staff are not held to the day: they correct records (a mission done early by arrangement,
    a provider without their phone), and can reopen one marked done by mistake.
    """
    order = get_order(session, ref)
    if actor.role == Role.PROVIDER:
        if not can_see(actor, order):
            raise NotFound(N_("No order %(ref)s."), ref=ref[:40])
    else:
        require_staff(actor)
    check_version(order, expected_version)
    states.check_fulfilment(order.status, OrderStatus.DONE)
    zone = business_zone(session)
    if actor.role == Role.PROVIDER and not is_due(order.scheduled_at, zone, utcnow()):
        raise NotYetDue(
            N_("Mission %(ref)s is planned for %(day)s: it can be marked done from that day on."),
            ref=order.ref,
            day=completion_day(order.scheduled_at, zone),
        )
    previous = order.status
    order.status = OrderStatus.DONE
    order.completed_at = utcnow()
    invoice = invoicing.decide_per_order_invoice(session, order)
    record_change(session, order, actor, "done", "order.done", from_status=previous)
    if invoice is not None:
        invoicing.request_per_order_invoice(session, order, invoice)
    return order


@use_case
def reopen_order(
    session: Session,
    actor: Actor,
    ref: str,
    reason: str | None,
    *,
    expected_version: int | None = None,
) -> Order:
    """Put a mission marked done by mistake back to scheduled, with a reason, before billing."""
    require_staff(actor)
    order = get_order(session, ref)
    check_version(order, expected_version)
    states.check_reopen(order.status, order.billing_status)
    note = validation.text(reason, "reason", max_length=500, required=True)
    # In the reopen's own transaction: the waiting invoice goes, or the reopen is refused.
    invoicing.withdraw_for_reopen(session, order)
    previous = order.status
    done_at = order.completed_at
    order.status = OrderStatus.SCHEDULED
    order.completed_at = None
    record_change(
        session,
        order,
        actor,
        "reopened",
        "order.reopened",
        from_status=previous,
        changes={
            "reason": note,
            "completed_at": {"from": done_at.isoformat() if done_at else None, "to": None},
        },
    )
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
    note = validation.text(reason, "reason", max_length=500)
    reversal = invoicing.decide_reversal(session, order)
    order.status = OrderStatus.CANCELLED
    record_change(
        session,
        order,
        actor,
        "cancelled",
        "order.cancelled",
        from_status=previous,
        changes={"reason": note} if note else {},
    )
    if reversal is not None:
        invoicing.request_reversal(session, order, reversal)
    return order
