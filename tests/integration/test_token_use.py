"""An API token records when it was last used, at most once a minute."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from hub.db import get_session, utcnow, write_transaction
from hub.models import ApiToken
from tests.conftest import Users, api_headers


def _last_used(app: Flask) -> datetime | None:
    with app.app_context():
        return get_session().scalars(sa.select(ApiToken.last_used_at)).one()


def test_a_token_records_its_last_use_at_most_once_a_minute(
    app: Flask, client: FlaskClient, users: Users
) -> None:
    headers = api_headers(app, users.concierge)
    assert _last_used(app) is None

    assert client.get("/api/v1/services", headers=headers).status_code == 200
    first = _last_used(app)
    assert first is not None
    assert client.get("/api/v1/services", headers=headers).status_code == 200
    assert _last_used(app) == first

    earlier = utcnow() - timedelta(minutes=2)
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            session.execute(sa.update(ApiToken).values(last_used_at=earlier))
    assert client.get("/api/v1/services", headers=headers).status_code == 200
    latest = _last_used(app)
    assert latest is not None and latest > earlier + timedelta(minutes=1)
