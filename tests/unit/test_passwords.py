"""Password hashing at the configured argon2id cost: the production one unless told."""

from __future__ import annotations

import pytest

from hub.accounts import Passwords
from hub.config import ConfigError, load_config
from hub.errors import InvalidInput
from hub.models import User

PASSWORD = "correct horse battery"


def test_the_standard_cost_is_rfc_9106_low_memory_argon2id() -> None:
    stored = Passwords().hash(PASSWORD)
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_the_test_cost_is_argon2s_floor() -> None:
    assert Passwords("test").hash(PASSWORD).startswith("$argon2id$v=19$m=8,t=1,p=1$")


def test_the_hub_hashes_at_the_standard_cost_unless_configured() -> None:
    environ = {"HUB_CONFIG": "/dev/null"}
    assert load_config({}, environ=environ).hub.password_hash_cost == "standard"
    cheap = load_config({}, environ={**environ, "HUB_PASSWORD_HASH_COST": "test"})
    assert cheap.hub.password_hash_cost == "test"


def test_an_unknown_cost_stops_start_up_naming_the_setting() -> None:
    config = load_config(
        {"hub": {"secret_key": "0123456789abcdef0123", "password_hash_cost": "cheap"}},
        environ={"HUB_CONFIG": "/dev/null"},
    )
    with pytest.raises(ConfigError, match="password_hash_cost"):
        config.validate()


@pytest.mark.parametrize("cost", ["standard", "test"])
def test_a_hash_of_either_cost_verifies_only_its_password(cost: str) -> None:
    user = User(email="a@example.com", password_hash=Passwords(cost).hash(PASSWORD))
    # A hash carries its cost, so a checker at any cost verifies it.
    for checker in (Passwords("test"), Passwords()):
        assert checker.check(user, PASSWORD)
        assert not checker.check(user, PASSWORD + "!")


def test_an_unknown_user_or_one_without_a_password_never_matches() -> None:
    passwords = Passwords("test")
    assert not passwords.check(None, PASSWORD)
    assert not passwords.check(User(email="a@example.com", password_hash=None), PASSWORD)


def test_a_short_password_is_refused_before_hashing() -> None:
    with pytest.raises(InvalidInput):
        Passwords("test").hash("short")
