"""The app a command works on: built once, on first use, from the configuration."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa
from flask import Flask

from hub.config import Config, ConfigError, load_config


def sqlite_file(database_url: str) -> Path | None:
    """Return the absolute path of a SQLite database file, or None for other databases."""
    url = sa.engine.make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(os.path.abspath(url.database))


def describe_database(database_url: str) -> str:
    """Name the database for people: a SQLite file's absolute path, or its URL sans password."""
    path = sqlite_file(database_url)
    if path is not None:
        return str(path)
    return sa.engine.make_url(database_url).render_as_string(hide_password=True)


class Context:
    """Build the app once, on first use, so ``hub --help`` needs no configuration."""

    def __init__(self) -> None:
        self._app: Flask | None = None
        self._schema_checked = False
        self.overrides: dict[str, dict[str, Any]] = {}

    def _config(self) -> Config:
        try:
            cfg = load_config(self.overrides)
            cfg.validate()
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from exc
        return cfg

    @property
    def config(self) -> Config:
        """Return the configuration the app will be built with (read now, not cached)."""
        return self._config()

    def add_overrides(self, overrides: dict[str, dict[str, Any]]) -> None:
        """Lay settings over the file and the environment; only before the app is built."""
        if self._app is not None:
            raise RuntimeError("the app is already built with the settings it had")
        for section, values in overrides.items():
            self.overrides.setdefault(section, {}).update(values)

    def _build(self, *, create: bool) -> Flask:
        if self._app is not None:
            return self._app
        from hub import create_app

        cfg = self._config()
        path = sqlite_file(cfg.database_url)
        if path is not None and not path.exists():
            if not create:
                # Opening it would create an empty file here: a second ledger in the making.
                raise click.ClickException(
                    f"There is no database at {path}. Run `hub init` with this same "
                    "configuration to create it there, or set HUB_CONFIG (or "
                    "HUB_DATABASE_URL) to the hub you meant."
                )
            path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._app = create_app(cfg)
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from exc
        return self._app

    @property
    def new_or_existing_app(self) -> Flask:
        """Return the app, creating its SQLite file if missing (only ``hub init`` may)."""
        return self._build(create=True)

    @property
    def app(self) -> Flask:
        """Return the app once its database exists and its schema is current."""
        flask_app = self._build(create=False)
        if not self._schema_checked:
            from hub import schema
            from hub.db import get_db

            db = get_db(flask_app)
            current, head = schema.current_revision(db), schema.head_revision(db)
            if current != head:
                raise click.ClickException(
                    f"The database schema is at {current or 'nothing yet'}, not {head}: "
                    "run `hub init` first (it creates or upgrades the schema)."
                )
            self._schema_checked = True
        return flask_app

    def close(self) -> None:
        """Release the database connections a command opened."""
        if self._app is not None:
            from hub.db import get_db

            get_db(self._app).dispose()


pass_ctx = click.make_pass_decorator(Context, ensure=True)
