"""A secret key must look random, and the trusted host names follow base_url."""

from __future__ import annotations

import pytest

from hub.config import ConfigError, load_config


def _config(**environ: str):  # type: ignore[no-untyped-def]
    return load_config(environ={"HUB_CONFIG": "/dev/null", **environ})


@pytest.mark.parametrize("secret", ["a" * 16, "ab" * 32, "0123456" * 10])
def test_a_long_secret_key_with_few_different_characters_stops_start_up(secret: str) -> None:
    with pytest.raises(ConfigError, match="HUB_SECRET_KEY") as raised:
        _config(HUB_SECRET_KEY=secret).validate()
    assert "different characters" in str(raised.value)


def test_a_random_hex_secret_key_is_accepted() -> None:
    _config(HUB_SECRET_KEY="9f2c4e7a1b3d5f60").validate()


def test_a_loopback_base_url_trusts_both_names_of_this_machine() -> None:
    config = _config(HUB_BASE_URL="http://localhost:8000")
    assert config.trusted_hosts == ["localhost", "127.0.0.1"]
    assert _config().trusted_hosts == ["127.0.0.1", "localhost"]


def test_a_public_base_url_trusts_its_host_and_the_allowed_extras() -> None:
    config = _config(HUB_BASE_URL="https://Hub.Example.com", HUB_ALLOWED_HOSTS=" 10.0.0.5,,x.lan ")
    assert config.trusted_hosts == ["hub.example.com", "10.0.0.5", "x.lan"]


def test_a_base_url_without_a_host_stops_start_up() -> None:
    with pytest.raises(ConfigError, match="base_url"):
        _config(HUB_SECRET_KEY="9f2c4e7a1b3d5f60", HUB_BASE_URL="hub.example.com").validate()
