"""Who makes a change to the ledger: a signed-in user or a named system."""

from __future__ import annotations

from dataclasses import dataclass

from hub.errors import N_, Forbidden
from hub.models import STAFF_ROLES, Role, User


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a signed-in user, or a named system (\"stripe\", \"cli\")."""

    user_id: int | None
    role: Role
    label: str

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(user_id=user.id, role=user.role, label=user.email)

    @classmethod
    def system(cls, label: str) -> Actor:
        return cls(user_id=None, role=Role.ADMIN, label=label)


def require_staff(actor: Actor) -> Actor:
    """Return the actor if a concierge or admin (or the system), else raise Forbidden."""
    if actor.role not in STAFF_ROLES:
        raise Forbidden(N_("Only concierges and admins may do this."))
    return actor
