"""Wake the dispatch loop within a second of a commit, not only at its next interval.

PostgreSQL: a thread LISTENs on ``hub_outbox``; the ledger NOTIFYs in the same transaction
that writes outbox rows (hub/ledger/outbox.py), so the note arrives just after the commit,
carrying the connectors concerned. SQLite has no notifications and its writers may live in
other processes (the web app beside ``hub worker``): a thread reads the outbox's highest id
every half second, a cheap look at the end of the primary key, and wakes every dispatcher
when it grows. Replays on SQLite wait for the regular interval.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hub.ledger.outbox import WAKE_CHANNEL
from hub.logs import RepeatedFailures
from hub.models import OutboxRow

log = logging.getLogger("hub.jobs.wakeup")

#: While the database is down these threads fail every second or two: one line, then counts.
SUMMARY_SECONDS = 30.0

#: Called with the connectors that have new rows, or None for "all of them".
OnWake = Callable[[set[str] | None], None]

POLL_SECONDS = 0.5
RECONNECT_SECONDS = 2.0


class PostgresListener(threading.Thread):
    """LISTEN for outbox notifications on a connection of its own, reconnecting on failure."""

    def __init__(self, engine: Engine, on_wake: OnWake, stopping: threading.Event) -> None:
        super().__init__(name="hub-outbox-listener", daemon=True)
        self.conninfo = engine.url.set(drivername="postgresql").render_as_string(
            hide_password=False
        )
        self.on_wake = on_wake
        self.stopping = stopping
        self.ready = threading.Event()
        self.failures = RepeatedFailures(
            log,
            subject="outbox listener",
            key_field="thread",
            every=SUMMARY_SECONDS,
            level=logging.WARNING,
        )

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self._listen()
            except psycopg.Error as exc:
                self.failures.failed(self.name, exc)
                self.stopping.wait(RECONNECT_SECONDS)

    def _listen(self) -> None:
        with psycopg.connect(self.conninfo, autocommit=True, connect_timeout=10) as conn:
            conn.execute(f"LISTEN {WAKE_CHANNEL}")
            self.failures.succeeded(self.name)
            # Rows may have been committed while we were not listening.
            self.on_wake(None)
            self.ready.set()
            while not self.stopping.is_set():
                names: set[str] = set()
                # stop_after=1: wake on the first notice, not when the timeout ends.
                for note in conn.notifies(timeout=POLL_SECONDS, stop_after=1):
                    names.update(n for n in note.payload.split(",") if n)
                if names:
                    self.on_wake(names)


class SqlitePoller(threading.Thread):
    """Watch the outbox's highest id and wake every dispatcher when it grows."""

    def __init__(self, engine: Engine, on_wake: OnWake, stopping: threading.Event) -> None:
        super().__init__(name="hub-outbox-poller", daemon=True)
        self.engine = engine
        self.on_wake = on_wake
        self.stopping = stopping
        self.ready = threading.Event()
        self.failures = RepeatedFailures(
            log,
            subject="outbox poll",
            key_field="thread",
            every=SUMMARY_SECONDS,
            level=logging.WARNING,
        )

    def _highest(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.scalar(sa.select(sa.func.max(OutboxRow.id))) or 0)

    def run(self) -> None:
        seen = -1
        while not self.stopping.is_set():
            try:
                highest = self._highest()
            except sa.exc.OperationalError as exc:
                self.failures.failed(self.name, exc)
            else:
                self.failures.succeeded(self.name)
                if highest != seen:
                    seen = highest
                    self.on_wake(None)
                self.ready.set()
            self.stopping.wait(POLL_SECONDS)


def wake_source(
    engine: Engine, on_wake: OnWake, stopping: threading.Event
) -> PostgresListener | SqlitePoller:
    """Return the wake-up thread that suits the database."""
    if engine.dialect.name == "postgresql":
        return PostgresListener(engine, on_wake, stopping)
    return SqlitePoller(engine, on_wake, stopping)
