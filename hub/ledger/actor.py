"""Who makes a change to the ledger: a signed-in user or a named system."""

from __future__ import annotations

from dataclasses import dataclass

from hub.models import Role, User


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
