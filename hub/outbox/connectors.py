"""Build the connectors from configuration (each one on, or off with what to configure).

Also names the dispatch job that serves each connector, so the admin page can find its runs.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, current_app

from connectors.base import Connector, Off, PluginContext
from connectors.stripe.connector import stripe_connector
from hub.config import Config, ConfigError, get_config
from hub.errors import N_
from hub.outbox.sheets import sheets_connector


@dataclass
class ConnectorSet:
    """The connectors this process knows: live ones by name, and those switched off."""

    live: dict[str, Connector] = field(default_factory=dict)
    off: dict[str, Off] = field(default_factory=dict)
    #: ``[sheets] backend``: it decides what the sheet connector is called.
    sheets_backend: str = "xlsx"

    def add(self, built: Connector | Off) -> None:
        if built.name in self.live or built.name in self.off:
            raise ConfigError(f"Two connectors are named {built.name!r}.")
        if isinstance(built, Off):
            self.off[built.name] = built
        else:
            self.live[built.name] = built

    def names(self) -> list[str]:
        return sorted({*self.live, *self.off})

    def label(self, name: str) -> str:
        """Return the name people know the connector by, in English (a msgid to translate)."""
        return connector_label(name, self.sheets_backend)

    def not_installed(self, name: str) -> bool:
        """Tell whether rows wait for a connector this hub does not build (a removed plugin)."""
        return name not in self.live and name not in self.off

    def __iter__(self) -> Iterator[Connector]:
        return iter(self.live[name] for name in sorted(self.live))


#: Dispatch jobs are named after their connector: ``outbox.dispatch.stripe``.
DISPATCH_PREFIX = "outbox.dispatch."


def dispatch_job_name(connector: str) -> str:
    return f"{DISPATCH_PREFIX}{connector}"


def connector_of(job: str) -> str | None:
    """Return the connector a dispatch job serves, or None for other jobs."""
    return job.removeprefix(DISPATCH_PREFIX) if job.startswith(DISPATCH_PREFIX) else None


#: What people call the vendors behind the connector ids; plugins keep their own id.
LABELS: dict[str, str] = {"stripe": "Stripe", "google_sheets": "Google Sheets"}
#: The sheet connector writes a local .xlsx file unless ``[sheets] backend`` is ``google``.
LOCAL_WORKBOOK = N_("Local workbook")

#: Off reasons that connectors/ write (babel reads only hub/): marked here for translation.
VENDOR_OFF_REASONS = (
    N_(
        "Set [stripe] api_key (HUB_STRIPE_API_KEY) to a Stripe secret key to bill orders; "
        "until then billing waits in the outbox."
    ),
)


def connector_label(name: str, sheets_backend: str) -> str:
    """Return the name people know a connector by: "Stripe", "Google Sheets", "Local workbook"."""
    if name == "sheets":
        return LABELS["google_sheets"] if sheets_backend == "google" else LOCAL_WORKBOOK
    return LABELS.get(name, name)


def load_plugin(spec: str, ctx: PluginContext) -> Connector | Off:
    """Import ``module:factory`` and call the factory with the plugin context."""
    module_name, _, attribute = spec.strip().partition(":")
    if not module_name or not attribute:
        raise ConfigError(
            f"[jobs] extra_connectors entry {spec!r} must look like 'package.module:factory'."
        )
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(
            f"[jobs] extra_connectors names {spec!r}, which cannot be loaded: {exc}"
        ) from exc
    built = factory(ctx)
    if not isinstance(built, (Off, Connector)):
        raise ConfigError(f"[jobs] extra_connectors: {spec!r} did not return a connector.")
    return built


def plugin_specs(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def build_connectors(cfg: Config, extra: Iterable[Connector | Off] = ()) -> ConnectorSet:
    """Return every connector the configuration describes, on or off."""
    found = ConnectorSet(sheets_backend=cfg.sheets.backend)
    # Vendor connectors plug in here, one line each, as a factory that returns the connector
    # or Off("stripe", "Set [stripe] api_key (HUB_STRIPE_API_KEY) to ...").
    found.add(stripe_connector(cfg.stripe.api_key, cfg.stripe.api_base, cfg.stripe.rate))
    found.add(sheets_connector(cfg))
    ctx = PluginContext(instance_path=Path(cfg.hub.instance_path).resolve())
    for spec in plugin_specs(cfg.jobs.extra_connectors):
        found.add(load_plugin(spec, ctx))
    for built in extra:
        found.add(built)
    return found


def connectors_for(app: Flask | None = None) -> ConnectorSet:
    """Return the app's connectors, built from its configuration on first use."""
    flask_app = app or current_app
    found: ConnectorSet | None = flask_app.extensions.get("hub.connectors")
    if found is None:
        found = build_connectors(get_config(flask_app))
        flask_app.extensions["hub.connectors"] = found
    return found
