"""Which roles exist and which of them are staff is written once, in the models."""

from __future__ import annotations

import pytest

from hub.errors import Forbidden
from hub.ledger.actor import Actor, require_staff
from hub.models import STAFF_ROLES, Role


def test_admins_and_concierges_are_staff_and_providers_are_not() -> None:
    assert {Role.ADMIN, Role.CONCIERGE} == STAFF_ROLES
    for role in ("admin", "concierge"):
        assert require_staff(Actor(user_id=1, role=Role(role), label="x")).role == role
    with pytest.raises(Forbidden):
        require_staff(Actor(user_id=1, role=Role.PROVIDER, label="x"))
    assert require_staff(Actor.system("cli")).label == "cli"


def test_only_the_three_role_names_are_known() -> None:
    assert all(Role.known(role.value) for role in Role)
    for value in ("", "Admin", "root", None, 1, " admin"):
        assert not Role.known(value)
