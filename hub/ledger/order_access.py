"""Find an order, and tell who may see it: providers see only their own missions."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from hub.errors import N_, InvalidInput, NotFound
from hub.ledger.actor import Actor
from hub.models import Order, Role, User


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


def active_provider(session: Session, provider_id: int | None) -> User | None:
    """Return the active provider with this id (None for none), or raise InvalidInput."""
    if provider_id is None:
        return None
    user = session.get(User, provider_id)
    if user is None or user.role != Role.PROVIDER or not user.active:
        raise InvalidInput(N_("Choose an active provider."), field="provider_id")
    return user
