"""Typed configuration read once: defaults, TOML file, environment, then overrides."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    from flask import Flask

#: Every environment variable the hub reads starts with this.
ENV_PREFIX = "HUB_"
#: The environment variable that names the TOML file.
CONFIG_FILE_VAR = f"{ENV_PREFIX}CONFIG"

#: Values that must never reach production as a secret key.
_PLACEHOLDER_SECRETS = frozenset({"", "change-me", "dev", "secret"})
#: A random key of 16 characters or more has far more distinct characters than this.
MIN_SECRET_DISTINCT_CHARACTERS = 8
#: Names of this machine: a loopback base_url answers to both. (Werkzeug's host check
#: cannot match an IPv6 address, so [::1] is not among them.)
LOOPBACK_HOSTS = ("localhost", "127.0.0.1")


class ConfigError(Exception):
    """A setting is missing or malformed; the message says which one to fix."""


def env_var(section: str, key: str) -> str:
    """Return the environment variable that sets one setting, e.g. HUB_STRIPE_API_KEY."""
    middle = "" if section == "hub" else f"{section}_"
    return f"{ENV_PREFIX}{middle}{key}".upper()


def environment(settings: Mapping[str, Mapping[str, object]]) -> dict[str, str]:
    """Spell settings ({"jobs": {"embedded": False}}) as the environment variables that set them."""
    return {
        env_var(section, key): str(value).lower() if isinstance(value, bool) else str(value)
        for section, values in settings.items()
        for key, value in values.items()
    }


def without_hub_variables(environ: Mapping[str, str]) -> dict[str, str]:
    """Return a copy of an environment with none of the hub's variables set."""
    return {name: value for name, value in environ.items() if not name.startswith(ENV_PREFIX)}


@dataclass(frozen=True)
class HubSettings:
    database_url: str = ""
    secret_key: str = ""
    base_url: str = "http://127.0.0.1:8000"
    timezone: str = "Europe/Paris"
    language: str = "fr"
    debug: bool = False
    instance_path: str = "instance"
    log_level: str = "INFO"
    login_max_failures: int = 5
    login_lockout_seconds: int = 300
    # Reverse proxies in front of the hub whose X-Forwarded-* headers are believed.
    trusted_proxies: int = 0
    # argon2id cost of new password hashes (hub/accounts.py HASH_COSTS): "standard" or "test".
    password_hash_cost: str = "standard"  # noqa: S105 - a cost name, not a password
    # Host names besides base_url's that requests may carry, comma-separated.
    allowed_hosts: str = ""
    # Stripe (and Google Sheets with the google backend) are local emulators: `hub serve
    # --sandbox` sets it, and every page then says that no real payment is made.
    sandbox: bool = False


@dataclass(frozen=True)
class StripeSettings:
    api_key: str = ""
    webhook_secret: str = ""
    api_base: str = "https://api.stripe.com"
    billing_mode: str = "per_order"
    collection_method: str = "send_invoice"
    days_until_due: int = 14
    # 0 means Stripe's pace for the key: 20 requests per second with a test key, 80 live.
    requests_per_second: float = 0.0
    # A per-order invoice waits this long after the order is done: a mission reopened
    # meanwhile costs nothing in Stripe.
    per_order_delay_minutes: float = 15.0
    # A credit note for a paid invoice is refunded to the card ("refund") or credited to
    # the customer's Stripe balance ("customer_balance").
    refund_to: str = "customer_balance"
    reconcile_interval_minutes: int = 60

    @property
    def live(self) -> bool:
        """Tell whether the key is a live one (its events and objects are live mode)."""
        return self.api_key.startswith(("sk_live_", "rk_live_"))

    @property
    def rate(self) -> float:
        """Return the requests per second the connector allows itself."""
        if self.requests_per_second > 0:
            return self.requests_per_second
        return 80.0 if self.live else 20.0


@dataclass(frozen=True)
class SheetsSettings:
    backend: str = "xlsx"
    xlsx_path: str = "instance/hub.xlsx"
    spreadsheet_id: str = ""
    service_account_file: str = ""
    # Root URL of the Sheets API when it is not Google's (empty: Google). `hub serve --sandbox`
    # points it at the Sheets emulator, which takes any bearer token, so the connector then
    # needs no service account.
    api_base: str = ""
    writes_per_minute: int = 50
    # The summary tabs are rewritten at most this often (and after each batch of orders).
    summary_interval_minutes: float = 5.0
    # Duplicate references found in the orders tab are reported; with this on, removed too.
    remove_duplicates: bool = False


@dataclass(frozen=True)
class JobsSettings:
    embedded: bool = True
    dispatch_interval_seconds: float = 5.0
    batch_size: int = 100
    lease_seconds: int = 120
    retention_days: int = 30
    # A run still "running" after this long belongs to a dead process (jobs/runs.py).
    run_timeout_minutes: int = 120
    max_attempts: int = 12
    max_age_hours: int = 72
    # First retry delay and the ceiling of the exponential backoff (full jitter below it).
    retry_base_seconds: float = 2.0
    retry_cap_seconds: float = 3600.0
    # How often a running worker writes its heartbeat; it counts as silent after four missed.
    heartbeat_seconds: float = 15.0
    # Connector plugins, "module:factory" separated by commas (hub/outbox/connectors.py).
    extra_connectors: str = ""


@dataclass(frozen=True)
class Config:
    hub: HubSettings = field(default_factory=HubSettings)
    stripe: StripeSettings = field(default_factory=StripeSettings)
    sheets: SheetsSettings = field(default_factory=SheetsSettings)
    jobs: JobsSettings = field(default_factory=JobsSettings)

    @property
    def database_url(self) -> str:
        """Return the database URL, defaulting to a SQLite file in the instance folder."""
        if self.hub.database_url:
            return self.hub.database_url
        return f"sqlite:///{Path(self.hub.instance_path).resolve() / 'hub.sqlite3'}"

    @property
    def workbook_path(self) -> Path:
        """Return the local workbook's file: ``[sheets] xlsx_path``, relative to the instance.

        The documented default, ``instance/hub.xlsx``, spells the instance folder by its default
        name: a leading ``instance`` is that folder, wherever ``[hub] instance_path`` puts it.
        """
        path = Path(self.sheets.xlsx_path)
        if path.is_absolute():
            return path
        if path.parts[:1] == ("instance",):
            path = Path(*path.parts[1:])
        return Path(self.hub.instance_path).resolve() / path

    @property
    def secure_cookies(self) -> bool:
        return self.hub.base_url.startswith("https://")

    @property
    def trusted_hosts(self) -> list[str]:
        """Return the host names a request's Host header may carry: base_url's, and extras."""
        host = urlsplit(self.hub.base_url).hostname or ""
        hosts = [host] if host else []
        if host in LOOPBACK_HOSTS:
            hosts += [name for name in LOOPBACK_HOSTS if name != host]
        extra = (name.strip().lower() for name in self.hub.allowed_hosts.split(","))
        return hosts + [name for name in extra if name and name not in hosts]

    def validate(self) -> None:
        """Refuse settings the hub cannot run with, naming the one to change."""
        if not self.hub.debug and self.hub.secret_key in _PLACEHOLDER_SECRETS:
            raise ConfigError(
                f"No secret key is set. Set {env_var('hub', 'secret_key')} (or secret_key "
                "under [hub] in config.toml) to a long random string, e.g. the output of "
                "`python -c 'import secrets; print(secrets.token_hex(32))'`."
            )
        if not self.hub.debug and len(self.hub.secret_key) < 16:
            raise ConfigError(
                f"{env_var('hub', 'secret_key')} is too short: use at least 16 random characters."
            )
        if self.hub.password_hash_cost not in ("standard", "test"):
            raise ConfigError("[hub] password_hash_cost must be 'standard' (or 'test' in tests).")
        if not self.hub.debug and (len(set(self.hub.secret_key)) < MIN_SECRET_DISTINCT_CHARACTERS):
            raise ConfigError(
                f"{env_var('hub', 'secret_key')} (secret_key under [hub]) is not random: it has "
                f"fewer than {MIN_SECRET_DISTINCT_CHARACTERS} different characters. Use the output "
                "of `python -c 'import secrets; print(secrets.token_hex(32))'`."
            )
        if not urlsplit(self.hub.base_url).hostname:
            raise ConfigError(
                f"[hub] base_url ({env_var('hub', 'base_url')}) {self.hub.base_url!r} names no "
                "host; write it like https://hub.example.com."
            )
        if self.hub.language not in ("fr", "en"):
            raise ConfigError("[hub] language must be 'fr' or 'en'.")
        if self.stripe.billing_mode not in ("per_order", "weekly", "monthly"):
            raise ConfigError("[stripe] billing_mode must be per_order, weekly or monthly.")
        if self.stripe.refund_to not in ("refund", "customer_balance"):
            raise ConfigError("[stripe] refund_to must be 'refund' or 'customer_balance'.")
        if self.sheets.backend not in ("xlsx", "google"):
            raise ConfigError("[sheets] backend must be 'xlsx' or 'google'.")
        try:
            ZoneInfo(self.hub.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(
                f"[hub] timezone ({env_var('hub', 'timezone')}) {self.hub.timezone!r} is not "
                "a known time zone; use a name like 'Europe/Paris'."
            ) from exc
        self._check_numbers()

    def _check_numbers(self) -> None:
        """Refuse zero or negative numbers where they would stall or break the hub."""
        positive: dict[str, float] = {
            "hub.login_max_failures": self.hub.login_max_failures,
            "hub.login_lockout_seconds": self.hub.login_lockout_seconds,
            "sheets.writes_per_minute": self.sheets.writes_per_minute,
            "jobs.dispatch_interval_seconds": self.jobs.dispatch_interval_seconds,
            "jobs.heartbeat_seconds": self.jobs.heartbeat_seconds,
            "jobs.batch_size": self.jobs.batch_size,
            "jobs.lease_seconds": self.jobs.lease_seconds,
            "jobs.retention_days": self.jobs.retention_days,
            "jobs.run_timeout_minutes": self.jobs.run_timeout_minutes,
            "jobs.max_attempts": self.jobs.max_attempts,
            "jobs.max_age_hours": self.jobs.max_age_hours,
            "jobs.retry_base_seconds": self.jobs.retry_base_seconds,
            "jobs.retry_cap_seconds": self.jobs.retry_cap_seconds,
        }
        for name, value in positive.items():
            if not value > 0:  # also refuses NaN
                section, key = name.split(".")
                raise ConfigError(f"[{section}] {key} must be greater than 0, not {value!r}.")
        non_negative: dict[str, float] = {
            "stripe.days_until_due": self.stripe.days_until_due,
            "stripe.requests_per_second": self.stripe.requests_per_second,
            "stripe.per_order_delay_minutes": self.stripe.per_order_delay_minutes,
            "stripe.reconcile_interval_minutes": self.stripe.reconcile_interval_minutes,
            "sheets.summary_interval_minutes": self.sheets.summary_interval_minutes,
            "hub.trusted_proxies": self.hub.trusted_proxies,
        }
        for name, value in non_negative.items():
            if not value >= 0:  # also refuses NaN
                section, key = name.split(".")
                raise ConfigError(f"[{section}] {key} must be 0 or more, not {value!r}.")


_SECTIONS: dict[str, type[Any]] = {
    "hub": HubSettings,
    "stripe": StripeSettings,
    "sheets": SheetsSettings,
    "jobs": JobsSettings,
}


def _coerce(raw: Any, target: Any, name: str) -> Any:
    if target is bool or target == "bool":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off", ""):
            return False
        raise ConfigError(f"{name} must be true or false, not {raw!r}.")
    if target is int or target == "int":
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lstrip("-").isdecimal():
            return int(raw.strip())
        raise ConfigError(f"{name} must be a whole number, not {raw!r}.")
    if target is float or target == "float":
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            return float(raw)
        try:
            return float(str(raw).strip())
        except ValueError as exc:
            raise ConfigError(f"{name} must be a number, not {raw!r}.") from exc
    if not isinstance(raw, str):
        raise ConfigError(f"{name} must be text, not {raw!r}.")
    return raw


def _apply(section: Any, values: dict[str, Any], prefix: str) -> Any:
    known = {f.name: f.type for f in fields(section)}
    changes: dict[str, Any] = {}
    for key, raw in values.items():
        if key not in known:
            raise ConfigError(f"Unknown setting {prefix}{key}; see config.example.toml.")
        changes[key] = _coerce(raw, known[key], f"{prefix}{key}")
    return replace(section, **changes)


def _env_values(environ: dict[str, str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {name: {} for name in _SECTIONS}
    for section, cls in _SECTIONS.items():
        for f in fields(cls):
            var = env_var(section, f.name)
            if var in environ:
                out[section][f.name] = environ[var]
    return out


def load_config(
    overrides: dict[str, dict[str, Any]] | None = None,
    environ: dict[str, str] | None = None,
) -> Config:
    """Build the configuration from defaults, the TOML file, the environment and overrides."""
    env = dict(os.environ) if environ is None else environ
    path_text = env.get(CONFIG_FILE_VAR)
    path = Path(path_text) if path_text else Path("config.toml")
    file_values: dict[str, Any] = {}
    if path.exists():
        try:
            file_values = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    elif path_text:
        raise ConfigError(f"{CONFIG_FILE_VAR} names {path}, which does not exist.")

    sections: dict[str, Any] = {name: cls() for name, cls in _SECTIONS.items()}
    for name, values in file_values.items():
        if name not in sections:
            raise ConfigError(f"Unknown section [{name}] in {path}; see config.example.toml.")
        if not isinstance(values, dict):
            raise ConfigError(f"{name} in {path} must be a [{name}] section of settings.")
    _apply_layer(sections, file_values)
    if path.is_file():
        sections["hub"] = anchor_instance_path(sections["hub"], path)
    _apply_layer(sections, _env_values(env))
    _apply_layer(sections, overrides or {})
    return Config(**sections)


def _apply_layer(sections: dict[str, Any], layer: dict[str, Any]) -> None:
    for name, values in layer.items():
        if name not in sections:
            raise ConfigError(f"Unknown configuration section {name!r}.")
        sections[name] = _apply(sections[name], dict(values), f"{name}.")


def anchor_instance_path(settings: HubSettings, config_file: Path) -> HubSettings:
    """Resolve a relative instance folder against the folder of the file that configured it.

    The instance folder holds the default SQLite database: a command run from another folder
    must find the same one, not start a second ledger there. Relative values from the
    environment keep meaning the current folder, as on any command line.
    """
    folder = Path(settings.instance_path)
    if folder.is_absolute():
        return settings
    return replace(settings, instance_path=str(config_file.resolve().parent / folder))


def get_config(app: Flask) -> Config:
    """Return the configuration the app was built with."""
    cfg: Config = app.extensions["hub.config"]
    return cfg
