"""An unhandled error is logged once, and never with the values the query carried."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hub.db import get_session, write_transaction
from hub.logs import JsonFormatter
from hub.models import User
from tests.conftest import Users

SECRET_HASH = "$argon2id$v=19$m=65536,t=3,p=4$do-not-log-me"


class _Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[tuple[int, str]] = []
        self.setFormatter(JsonFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.levelno, self.format(record)))


@pytest.fixture
def kept() -> Iterator[_Kept]:
    handler = _Kept()
    logger = logging.getLogger("hub")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def _add_duplicate_user() -> str:
    session = get_session()
    with write_transaction(session):
        session.add(
            User(email="admin@example.com", name="Twin", role="admin", password_hash=SECRET_HASH)
        )
    return "unreachable"


def test_a_database_error_is_logged_once_without_its_parameters(
    app: Flask, users: Users, kept: _Kept
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.add_url_rule("/duplicate-user", view_func=_add_duplicate_user)
    client: FlaskClient = app.test_client()
    response = client.get("/duplicate-user")
    assert response.status_code == 500
    errors = [line for level, line in kept.lines if level >= logging.ERROR]
    assert len(errors) == 1
    assert "IntegrityError" in errors[0]
    assert "parameters hidden" in errors[0]
    assert SECRET_HASH not in errors[0]
    assert "Twin" not in errors[0]
