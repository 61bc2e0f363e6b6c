"""The database without Flask: engine, declarative base, column types, write transactions.

The ledger and the models build on this module only; hub.db binds it to the Flask app.
"""

from __future__ import annotations

import contextvars
import enum
import functools
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Concatenate, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.orm.exc import StaleDataError

from hub.errors import N_, StaleEdit

# SQLite's deferred transactions fail with SQLITE_BUSY when a reader later tries to
# write after another writer committed; write units of work therefore start with
# BEGIN IMMEDIATE, chosen per transaction through this flag.
_immediate: contextvars.ContextVar[bool] = contextvars.ContextVar("hub_immediate", default=False)
#: Marks a session inside write_transaction, so that nested use cases join its transaction.
_WRITING = "hub_writing"


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Store timestamps as naive UTC and hand back aware UTC datetimes on every database."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def enum_type(enum_class: type[enum.StrEnum], *, length: int, check: str | None = None) -> sa.Enum:
    """Store a StrEnum by value in a VARCHAR, with a CHECK constraint made from its members."""
    # Non-native: PostgreSQL ENUM types need a migration for every new member; a CHECK does not.
    return sa.Enum(
        enum_class,
        native_enum=False,
        length=length,
        create_constraint=check is not None,
        name=check,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not pysqlite, emit BEGIN so that IMMEDIATE can be chosen.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(conn: sa.Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if _immediate.get() else "BEGIN")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine with the per-dialect settings the ledger relies on."""
    # Errors (and the logs quoting them) must not carry e-mails, hashes or customer details.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30}, **kwargs)
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        sa.event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return sa.create_engine(url, **kwargs)


def refresh_statistics(engine: Engine) -> None:
    """Give SQLite's planner table statistics (it has none until ANALYZE runs).

    Without them SQLite picks the outbox's widest index for a claim and sorts the whole
    backlog each time; analysis_limit keeps the pass short on a large database.
    """
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA analysis_limit=1000")
        conn.exec_driver_sql("ANALYZE")
        conn.commit()


def business_zone(session: Session) -> ZoneInfo:
    """Return the time zone the business runs in ([hub] timezone), UTC if none was set."""
    return ZoneInfo(str(session.info.get("timezone", "UTC")))


@contextmanager
def write_transaction(session: Session) -> Iterator[Session]:
    """Run one unit of work that writes: begin (IMMEDIATE on SQLite), commit or roll back.

    A use case that runs inside another's write transaction joins it (an idempotent create
    stores its key with the record), so the outermost block alone commits or rolls back.
    """
    if session.info.get(_WRITING):
        yield session
        return
    if session.in_transaction():
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("write_transaction entered with unflushed changes")
        # End the read snapshot so the write starts from the latest committed state.
        session.commit()
    with _writer_turn(session):
        token = _immediate.set(True)
        try:
            session.begin()
            session.connection()
        finally:
            _immediate.reset(token)
        session.info[_WRITING] = True
        try:
            yield session
            session.commit()
        except StaleDataError as exc:
            session.rollback()
            raise StaleEdit(
                N_("Someone else changed this record meanwhile. Review it, then save again.")
            ) from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.info.pop(_WRITING, None)


P = ParamSpec("P")
R = TypeVar("R")


def use_case(func: Callable[Concatenate[Session, P], R]) -> Callable[Concatenate[Session, P], R]:
    """Run a ledger function in its own write transaction, or in the caller's if one is open."""

    def run(session: Session, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with write_transaction(session):
            return func(session, *args, **kwargs)

    return functools.update_wrapper(run, func)


_write_locks: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()
_write_locks_guard = threading.Lock()


@contextmanager
def _writer_turn(session: Session) -> Iterator[None]:
    """On SQLite, queue this process's writers in order before they reach the file lock.

    SQLite's busy handler retries with growing sleeps, so under contention a writer can wait
    seconds while others pass; one lock per engine makes threads of a process take turns.
    """
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    if engine.dialect.name != "sqlite":
        yield
        return
    with _write_locks_guard:
        lock = _write_locks.setdefault(engine, threading.RLock())
    with lock:
        yield
