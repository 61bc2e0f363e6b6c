"""The database bound to the Flask app: one session per application context.

The Flask-free part (engine, base, write transactions) lives in hub.sql, which the ledger and
the models use; this module re-exports it for the web app, the CLI and the jobs.
"""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session, sessionmaker

from hub.ledger.billing_settings import SESSION_KEY as BILLING_KEY
from hub.ledger.billing_settings import BillingSettings
from hub.sql import (
    NAMING,
    Base,
    UTCDateTime,
    business_zone,
    make_engine,
    refresh_statistics,
    use_case,
    utcnow,
    write_transaction,
)

__all__ = [
    "NAMING",
    "Base",
    "Database",
    "UTCDateTime",
    "business_zone",
    "get_db",
    "get_session",
    "make_engine",
    "refresh_statistics",
    "use_case",
    "utcnow",
    "write_transaction",
]


class Database:
    """Own the engine and hand out sessions, one per application context."""

    def __init__(
        self, url: str, *, timezone: str = "UTC", billing: BillingSettings | None = None
    ) -> None:
        self.url = url
        self.engine = make_engine(url)
        # The business time zone and the billing settings travel with each session, so the
        # ledger needs no Flask.
        self.sessions = sessionmaker(
            self.engine,
            expire_on_commit=False,
            info={"timezone": timezone, BILLING_KEY: billing or BillingSettings()},
        )

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def init_app(self, app: Flask) -> None:
        app.extensions["hub.db"] = self
        app.teardown_appcontext(self._remove_session)

    def _remove_session(self, _exc: BaseException | None) -> None:
        session: Session | None = g.pop("hub_session", None)
        if session is not None:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


def get_db(app: Flask | None = None) -> Database:
    db: Database = (app or current_app).extensions["hub.db"]
    return db


def get_session() -> Session:
    """Return the session bound to the current application context."""
    session: Session | None = g.get("hub_session")
    if session is None:
        session = get_db().sessions()
        g.hub_session = session
    return session
