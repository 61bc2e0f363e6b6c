"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

Each backend gets a fresh database per test session, migrated once with Alembic (the
production path); each test starts from emptied tables, the default catalogue and four users.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from hub import create_app
from hub.accounts import Passwords, create_token
from hub.config import load_config
from hub.db import Base, Database, get_session, write_transaction
from hub.ledger.catalogue import seed_default_catalogue
from hub.models import User
from hub.schema import upgrade

PG_ADMIN_URL = os.environ.get(
    "HUB_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = [b for b in os.environ.get("HUB_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]
PASSWORD = "correct horse battery"
# The tests' apps hash at argon2's floor ([hub] password_hash_cost = "test"); the tests about
# hashing itself (tests/unit/test_passwords.py, the CLI's user creation) use the real cost.
_PASSWORD_HASH = Passwords("test").hash(PASSWORD)


@dataclass
class TestDatabase:
    backend: str
    url: str


def _create_pg_database() -> tuple[str, str]:
    name = f"hub_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return name, re.sub(r"/[^/]*$", f"/{name}", PG_ADMIN_URL)


def _drop_pg_database(name: str) -> None:
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestDatabase]:
    """A migrated database of one backend, shared by the tests of a session."""
    backend: str = request.param
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "hub.sqlite3"
        url = f"sqlite:///{path}"
        drop = None
    else:
        name, url = _create_pg_database()
        drop = name
    db = Database(url)
    upgrade(db)
    db.dispose()
    yield TestDatabase(backend=backend, url=url)
    if drop:
        _drop_pg_database(drop)


def empty_tables(db: Database) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if db.is_sqlite:
            for table in tables:
                conn.exec_driver_sql(f'DELETE FROM "{table}"')
        else:
            conn.exec_driver_sql(
                "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
            )


def make_app(database: TestDatabase, tmp_path: Path, **sections: dict[str, Any]) -> Flask:
    overrides: dict[str, dict[str, Any]] = {
        "hub": {
            "database_url": database.url,
            "secret_key": "test-secret-key-0123456789abcdef",
            "instance_path": str(tmp_path / "instance"),
            "base_url": "http://localhost",
            "log_level": "WARNING",
            "password_hash_cost": "test",
        },
        "jobs": {"embedded": False},
    }
    for name, values in sections.items():
        overrides.setdefault(name, {}).update(values)
    # HUB_CONFIG=/dev/null: a developer's config.toml or HUB_* variables never leak into tests.
    app = create_app(load_config(overrides, environ={"HUB_CONFIG": "/dev/null"}))
    app.config["TESTING"] = True
    return app


@pytest.fixture
def app(database: TestDatabase, tmp_path: Path) -> Iterator[Flask]:
    """The hub on emptied tables with the default catalogue."""
    flask_app = make_app(database, tmp_path)
    from hub.db import get_db

    db = get_db(flask_app)
    empty_tables(db)
    with flask_app.app_context():
        session = get_session()
        with write_transaction(session):
            seed_default_catalogue(session)
    yield flask_app
    db.dispose()


@pytest.fixture
def backend(database: TestDatabase) -> str:
    return database.backend


@dataclass
class Users:
    admin: User
    concierge: User
    provider: User
    other_provider: User

    def by_role(self, role: str) -> User:
        return {"admin": self.admin, "concierge": self.concierge, "provider": self.provider}[role]


@pytest.fixture
def users(app: Flask) -> Users:
    """One user per role, plus a second provider, all with the password PASSWORD."""
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            made = [
                User(email=email, name=name, role=role, password_hash=_PASSWORD_HASH, active=True)
                for email, name, role in (
                    ("admin@example.com", "Alice Admin", "admin"),
                    ("concierge@example.com", "Claire Concierge", "concierge"),
                    ("provider@example.com", "Paul Provider", "provider"),
                    ("other.provider@example.com", "Olga Provider", "provider"),
                )
            ]
            session.add_all(made)
        return Users(*made)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def login(client: FlaskClient, user: User, password: str = PASSWORD) -> None:
    """Sign in through the real login form, CSRF token included."""
    response = post_form(client, "/login", "/login", {"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)


class SignIn(Protocol):
    def __call__(self, role: str, *, english: bool = True) -> FlaskClient: ...


@pytest.fixture
def signed_in(app: Flask, users: Users) -> SignIn:
    """Return a maker of clients signed in as the user of a role, reading English by default."""

    def sign_in(role: str, *, english: bool = True) -> FlaskClient:
        client = app.test_client()
        login(client, users.by_role(role))
        if english:
            read_in_english(client)
        return client

    return sign_in


def sign_in(client: FlaskClient, user: User) -> None:
    """Sign in as a user and read the pages in English, the language of the assertions."""
    login(client, user)
    read_in_english(client)


def read_in_english(client: FlaskClient) -> None:
    """Show the client's pages in English, the language tests word their assertions in."""
    # Signing in starts a fresh session, so call this after login().
    with client.session_transaction() as session:
        session["lang"] = "en"


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    """Return the CSRF token embedded in a rendered page."""
    match = _CSRF.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def post_form(
    client: FlaskClient,
    page_url: str,
    post_url: str,
    data: Mapping[str, str] | None = None,
    **kwargs: Any,
) -> TestResponse:
    """Open the page holding a form, read its CSRF token and post the form's data with it."""
    token = csrf_from(client.get(page_url).get_data(as_text=True))
    return client.post(post_url, data={**(data or {}), "csrf_token": token}, **kwargs)


def api_token(app: Flask, user: User) -> str:
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            return create_token(session, session.merge(user), "test")


def api_headers(app: Flask, user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token(app, user)}"}
