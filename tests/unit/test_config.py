"""Configuration in layers: defaults, the TOML file, the environment, then overrides."""

from __future__ import annotations

import tomllib
from dataclasses import asdict, fields, replace
from pathlib import Path

import pytest

from hub.config import (
    _SECTIONS,
    CONFIG_FILE_VAR,
    Config,
    ConfigError,
    env_var,
    environment,
    load_config,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config.example.toml"
GOOD_KEY = "0123456789abcdef0123456789abcdef"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hub.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_file_lists_exactly_the_settings_of_every_section() -> None:
    example = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    assert set(example) == set(_SECTIONS)
    for name, cls in _SECTIONS.items():
        assert set(example[name]) == {f.name for f in fields(cls)}, name


def test_example_file_loads_and_shows_the_defaults() -> None:
    config = load_config(environ={"HUB_CONFIG": str(EXAMPLE)})
    # A relative instance folder, the default's included, lies next to the file read.
    defaults = Config()
    assert config == replace(
        defaults, hub=replace(defaults.hub, instance_path=str(ROOT / "instance"))
    )


def test_example_file_runs_once_a_secret_key_is_given() -> None:
    config = load_config(environ={"HUB_CONFIG": str(EXAMPLE), "HUB_SECRET_KEY": GOOD_KEY})
    config.validate()
    assert config.hub.secret_key == GOOD_KEY


def test_without_file_or_variables_the_hub_uses_a_sqlite_file_in_the_instance_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(environ={"HUB_INSTANCE_PATH": str(tmp_path / "inst")})
    assert config.database_url == f"sqlite:///{tmp_path / 'inst' / 'hub.sqlite3'}"
    assert config.sheets.backend == "xlsx"
    assert config.stripe.api_key == ""


def test_file_beats_defaults_environment_beats_file_overrides_beat_environment(
    tmp_path: Path,
) -> None:
    path = _write(
        tmp_path,
        '[hub]\ntimezone = "Europe/London"\nlanguage = "en"\nlog_level = "DEBUG"\n'
        '[stripe]\ndays_until_due = 30\nbilling_mode = "weekly"\n',
    )
    environ = {
        "HUB_CONFIG": str(path),
        "HUB_LANGUAGE": "fr",
        "HUB_LOG_LEVEL": "WARNING",
        "HUB_STRIPE_DAYS_UNTIL_DUE": "45",
    }
    config = load_config(overrides={"hub": {"log_level": "ERROR"}}, environ=environ)
    assert config.hub.base_url == "http://127.0.0.1:8000"  # default
    assert config.hub.timezone == "Europe/London"  # file
    assert config.stripe.billing_mode == "weekly"  # file
    assert config.hub.language == "fr"  # environment over file
    assert config.stripe.days_until_due == 45  # environment over file
    assert config.hub.log_level == "ERROR"  # override over environment


def test_environment_variables_are_coerced_to_the_setting_type() -> None:
    config = load_config(
        environ={
            "HUB_CONFIG": "/dev/null",
            "HUB_DEBUG": "yes",
            "HUB_JOBS_EMBEDDED": "0",
            "HUB_JOBS_DISPATCH_INTERVAL_SECONDS": "0.5",
            "HUB_SHEETS_WRITES_PER_MINUTE": "12",
        }
    )
    assert config.hub.debug is True
    assert config.jobs.embedded is False
    assert config.jobs.dispatch_interval_seconds == 0.5
    assert config.sheets.writes_per_minute == 12


def test_config_env_var_names_the_file_and_config_toml_is_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "config.toml").write_text('[hub]\ntimezone = "Europe/Brussels"\n')
    monkeypatch.chdir(tmp_path)
    assert load_config(environ={}).hub.timezone == "Europe/Brussels"
    other = _write(tmp_path, '[hub]\ntimezone = "Europe/Madrid"\n')
    assert load_config(environ={"HUB_CONFIG": str(other)}).hub.timezone == "Europe/Madrid"


@pytest.mark.parametrize(
    ("environ", "setting"),
    [
        ({"HUB_JOBS_BATCH_SIZE": "many"}, "jobs.batch_size"),
        ({"HUB_STRIPE_REQUESTS_PER_SECOND": "fast"}, "stripe.requests_per_second"),
        ({"HUB_DEBUG": "perhaps"}, "hub.debug"),
        ({"HUB_LOGIN_MAX_FAILURES": ""}, "hub.login_max_failures"),
    ],
)
def test_an_unreadable_value_names_the_setting(environ: dict[str, str], setting: str) -> None:
    with pytest.raises(ConfigError, match=setting.replace(".", r"\.")):
        load_config(environ={"HUB_CONFIG": "/dev/null", **environ})


def test_an_unreadable_value_in_the_file_names_the_setting(tmp_path: Path) -> None:
    path = _write(tmp_path, '[stripe]\ndays_until_due = "two weeks"\n')
    with pytest.raises(ConfigError, match=r"stripe\.days_until_due"):
        load_config(environ={"HUB_CONFIG": str(path)})


def test_an_unknown_key_in_the_file_is_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, '[hub]\ndatabase_uri = "sqlite://"\n')
    with pytest.raises(ConfigError, match=r"hub\.database_uri"):
        load_config(environ={"HUB_CONFIG": str(path)})


def test_an_unknown_section_in_the_file_is_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, '[strip]\napi_key = "sk_test_x"\n')
    with pytest.raises(ConfigError, match=r"\[strip\]"):
        load_config(environ={"HUB_CONFIG": str(path)})


def test_an_unknown_override_is_rejected() -> None:
    with pytest.raises(ConfigError, match=r"jobs\.workers"):
        load_config(overrides={"jobs": {"workers": 4}}, environ={"HUB_CONFIG": "/dev/null"})


def test_a_file_that_is_not_toml_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path, "[hub\nsecret_key = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(environ={"HUB_CONFIG": str(path)})


def test_a_missing_file_named_by_hub_config_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="HUB_CONFIG"):
        load_config(environ={"HUB_CONFIG": str(tmp_path / "absent.toml")})


@pytest.mark.parametrize("secret", ["", "change-me", "secret"])
def test_outside_debug_a_missing_or_placeholder_secret_key_stops_start_up(secret: str) -> None:
    config = load_config(environ={"HUB_CONFIG": "/dev/null", "HUB_SECRET_KEY": secret})
    with pytest.raises(ConfigError, match="HUB_SECRET_KEY"):
        config.validate()


def test_outside_debug_a_short_secret_key_stops_start_up() -> None:
    config = load_config(environ={"HUB_CONFIG": "/dev/null", "HUB_SECRET_KEY": "short-key-123"})
    with pytest.raises(ConfigError, match="too short"):
        config.validate()


def test_debug_mode_runs_without_a_secret_key() -> None:
    config = load_config(environ={"HUB_CONFIG": "/dev/null", "HUB_DEBUG": "true"})
    config.validate()


@pytest.mark.parametrize(
    ("environ", "setting"),
    [
        ({"HUB_LANGUAGE": "de"}, "language"),
        ({"HUB_STRIPE_BILLING_MODE": "daily"}, "billing_mode"),
        ({"HUB_SHEETS_BACKEND": "csv"}, "backend"),
    ],
)
def test_a_value_outside_its_choices_is_refused_by_name(
    environ: dict[str, str], setting: str
) -> None:
    config = load_config(environ={"HUB_CONFIG": "/dev/null", "HUB_SECRET_KEY": GOOD_KEY, **environ})
    with pytest.raises(ConfigError, match=setting):
        config.validate()


def test_an_https_base_url_turns_on_secure_cookies() -> None:
    plain = load_config(environ={"HUB_CONFIG": "/dev/null"})
    secure = load_config(
        environ={"HUB_CONFIG": "/dev/null", "HUB_BASE_URL": "https://hub.example.com"}
    )
    assert not plain.secure_cookies
    assert secure.secure_cookies


@pytest.mark.parametrize(
    ("text", "setting"),
    [
        ("[stripe]\ndays_until_due = 14.7\n", "stripe.days_until_due"),
        ("[stripe]\ndays_until_due = true\n", "stripe.days_until_due"),
        ("[hub]\nsecret_key = 12\n", "hub.secret_key"),
        ("hub = 3\n", "hub"),
    ],
)
def test_a_value_of_the_wrong_kind_in_the_file_is_named_not_truncated(
    tmp_path: Path, text: str, setting: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(environ={"HUB_CONFIG": str(path)})
    assert setting in str(info.value)


def test_an_unknown_time_zone_stops_start_up_naming_hub_timezone() -> None:
    config = load_config(
        environ={
            "HUB_CONFIG": "/dev/null",
            "HUB_SECRET_KEY": GOOD_KEY,
            "HUB_TIMEZONE": "Europe/Pariss",
        }
    )
    with pytest.raises(ConfigError, match="HUB_TIMEZONE") as info:
        config.validate()
    assert "Europe/Pariss" in str(info.value)


@pytest.mark.parametrize(
    ("variable", "value", "setting"),
    [
        ("HUB_JOBS_DISPATCH_INTERVAL_SECONDS", "0", r"\[jobs\] dispatch_interval_seconds"),
        ("HUB_JOBS_BATCH_SIZE", "0", r"\[jobs\] batch_size"),
        ("HUB_JOBS_LEASE_SECONDS", "0", r"\[jobs\] lease_seconds"),
        ("HUB_JOBS_RETENTION_DAYS", "-1", r"\[jobs\] retention_days"),
        ("HUB_JOBS_MAX_ATTEMPTS", "0", r"\[jobs\] max_attempts"),
        ("HUB_JOBS_MAX_AGE_HOURS", "0", r"\[jobs\] max_age_hours"),
        ("HUB_JOBS_RETRY_BASE_SECONDS", "0", r"\[jobs\] retry_base_seconds"),
        ("HUB_JOBS_RETRY_CAP_SECONDS", "-5", r"\[jobs\] retry_cap_seconds"),
        ("HUB_JOBS_RUN_TIMEOUT_MINUTES", "0", r"\[jobs\] run_timeout_minutes"),
        ("HUB_STRIPE_DAYS_UNTIL_DUE", "-1", r"\[stripe\] days_until_due"),
        ("HUB_STRIPE_REQUESTS_PER_SECOND", "-1", r"\[stripe\] requests_per_second"),
        ("HUB_STRIPE_PER_ORDER_DELAY_MINUTES", "-1", r"\[stripe\] per_order_delay_minutes"),
        ("HUB_STRIPE_REFUND_TO", "cash", r"\[stripe\] refund_to"),
        ("HUB_STRIPE_REQUESTS_PER_SECOND", "nan", r"\[stripe\] requests_per_second"),
        ("HUB_SHEETS_WRITES_PER_MINUTE", "0", r"\[sheets\] writes_per_minute"),
        ("HUB_LOGIN_MAX_FAILURES", "0", r"\[hub\] login_max_failures"),
        ("HUB_LOGIN_LOCKOUT_SECONDS", "-300", r"\[hub\] login_lockout_seconds"),
        ("HUB_TRUSTED_PROXIES", "-1", r"\[hub\] trusted_proxies"),
    ],
)
def test_a_number_that_would_stall_the_hub_is_refused_by_name(
    variable: str, value: str, setting: str
) -> None:
    config = load_config(
        environ={"HUB_CONFIG": "/dev/null", "HUB_SECRET_KEY": GOOD_KEY, variable: value}
    )
    with pytest.raises(ConfigError, match=setting):
        config.validate()


def test_zero_days_until_due_and_zero_trusted_proxies_are_allowed() -> None:
    config = load_config(
        environ={
            "HUB_CONFIG": "/dev/null",
            "HUB_SECRET_KEY": GOOD_KEY,
            "HUB_STRIPE_DAYS_UNTIL_DUE": "0",
            "HUB_TRUSTED_PROXIES": "0",
        }
    )
    config.validate()


def test_environment_spells_every_setting_as_the_variable_load_config_reads() -> None:
    assert env_var("hub", "secret_key") == "HUB_SECRET_KEY"
    assert env_var("stripe", "api_key") == "HUB_STRIPE_API_KEY"
    changed = asdict(load_config(environ={CONFIG_FILE_VAR: "/dev/null"}))
    changed["hub"] |= {"secret_key": GOOD_KEY, "timezone": "America/Montreal", "debug": True}
    changed["jobs"] |= {"embedded": False, "dispatch_interval_seconds": 0.5}
    environ = {CONFIG_FILE_VAR: "/dev/null", **environment(changed)}
    assert asdict(load_config(environ=environ)) == changed
