"""The sign-in throttle counts every attempt once, even in parallel, before any password check."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from hub import accounts
from hub.db import get_db, get_session, utcnow, write_transaction
from hub.models import LoginThrottle
from tests import conftest
from tests.conftest import PASSWORD, Users, csrf_from, make_app, post_form

WRONG = "Wrong e-mail or password"


def _sign_in(
    client: FlaskClient, email: str, password: str, headers: dict[str, str] | None = None
) -> int:
    response = post_form(
        client, "/login", "/login", {"email": email, "password": password}, headers=headers or {}
    )
    return response.status_code


def _throttles(app: Flask) -> dict[str, int]:
    with app.app_context():
        rows = get_session().scalars(sa.select(LoginThrottle))
        return {row.key: row.failures for row in rows}


def test_sixteen_parallel_wrong_passwords_are_all_counted_and_only_the_limit_is_checked(
    app: Flask, users: Users
) -> None:
    max_failures = app.extensions["hub.config"].hub.login_max_failures
    attempts = 16
    clients = [app.test_client() for _ in range(attempts)]
    tokens = [csrf_from(c.get("/login").get_data(as_text=True)) for c in clients]
    barrier = threading.Barrier(attempts)
    statuses: list[int] = []

    def guess(index: int) -> None:
        barrier.wait()
        response = clients[index].post(
            "/login",
            data={
                "email": users.provider.email,
                "password": f"guess number {index}",
                "csrf_token": tokens[index],
            },
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # 401 means the password was checked; 429 means it was refused unchecked.
    assert sorted(statuses) == [401] * max_failures + [429] * (attempts - max_failures)
    counts = _throttles(app)
    assert counts[f"email:{users.provider.email}"] == attempts
    assert counts["ip:127.0.0.1"] == attempts


def test_a_successful_sign_in_clears_the_e_mail_and_gives_the_address_its_try_back(
    app: Flask, client: FlaskClient, users: Users
) -> None:
    assert _sign_in(client, users.provider.email, "a wrong guess") == 401
    assert _sign_in(client, users.provider.email, "another guess") == 401
    assert _sign_in(client, users.provider.email, PASSWORD) == 302
    assert _throttles(app) == {"ip:127.0.0.1": 2}


def test_one_address_guessing_many_e_mails_is_locked_out_at_four_times_the_limit(
    app: Flask, client: FlaskClient, users: Users
) -> None:
    max_failures = app.extensions["hub.config"].hub.login_max_failures
    for index in range(max_failures * 4):
        assert _sign_in(client, f"person{index}@example.com", "a wrong guess") == 401
    assert _sign_in(client, users.concierge.email, PASSWORD) == 429
    other_address = app.test_client()
    other_address.environ_base["REMOTE_ADDR"] = "192.0.2.9"
    assert _sign_in(other_address, users.concierge.email, PASSWORD) == 302


def test_behind_a_trusted_proxy_the_throttle_keys_by_the_forwarded_address(
    app: Flask, database: conftest.TestDatabase, tmp_path: Path, users: Users
) -> None:
    proxied = make_app(database, tmp_path / "proxied", hub={"trusted_proxies": 1})
    try:
        forwarded = {"X-Forwarded-For": "203.0.113.7"}
        assert _sign_in(proxied.test_client(), "nobody@example.com", "guess", forwarded) == 401
        # Without trusted_proxies the header is whatever a client sends: ignored.
        assert _sign_in(app.test_client(), "nobody@example.com", "guess", forwarded) == 401
    finally:
        get_db(proxied).dispose()
    counts = _throttles(app)
    assert counts["ip:203.0.113.7"] == 1
    assert counts["ip:127.0.0.1"] == 1


def test_pruning_deletes_throttles_whose_window_and_lockout_have_passed(app: Flask) -> None:
    now = utcnow()
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            session.add_all(
                [
                    LoginThrottle(
                        key="ip:old", failures=3, first_failure_at=now - timedelta(hours=2)
                    ),
                    LoginThrottle(
                        key="email:locked@example.com",
                        failures=9,
                        first_failure_at=now - timedelta(hours=2),
                        locked_until=now + timedelta(minutes=3),
                    ),
                    LoginThrottle(key="ip:fresh", failures=1, first_failure_at=now),
                ]
            )
        with write_transaction(session):
            pruned = accounts.prune_throttles(session, before=now - timedelta(minutes=5))
    assert pruned == 1
    assert set(_throttles(app)) == {"email:locked@example.com", "ip:fresh"}
