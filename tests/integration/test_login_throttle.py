"""The sign-in throttle counts every attempt once, even in parallel, before any password check.

It locks an (e-mail, address) pair and an address; an e-mail guessed from many addresses is
only slowed down, so nobody can lock its owner out.
"""

from __future__ import annotations

import threading
import time
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
    email_key, address_key, pair_key = accounts.throttle_keys(users.provider.email, "127.0.0.1")
    counts = _throttles(app)
    assert counts[pair_key] == attempts
    assert counts[email_key] == attempts
    assert counts[address_key] == attempts


def test_a_successful_sign_in_clears_the_e_mail_and_gives_the_address_its_try_back(
    app: Flask, client: FlaskClient, users: Users
) -> None:
    assert _sign_in(client, users.provider.email, "a wrong guess") == 401
    assert _sign_in(client, users.provider.email, "another guess") == 401
    assert _sign_in(client, users.provider.email, PASSWORD) == 302
    assert _throttles(app) == {"ip:127.0.0.1": 2}


def _from(app: Flask, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_guesses_from_one_address_lock_that_address_out_not_the_owner(
    app: Flask, client: FlaskClient, users: Users
) -> None:
    max_failures = app.extensions["hub.config"].hub.login_max_failures
    attacker = _from(app, "192.0.2.66")
    for _attempt in range(max_failures):
        assert _sign_in(attacker, users.provider.email, "a wrong guess") == 401
    # Locked for that pair, even with the right password...
    assert _sign_in(attacker, users.provider.email, PASSWORD) == 429
    # ...but the owner, from their own address, signs in.
    assert _sign_in(client, users.provider.email, PASSWORD) == 302


def test_an_e_mail_guessed_from_many_addresses_only_slows_its_owner_down(
    app: Flask, users: Users
) -> None:
    max_failures = app.extensions["hub.config"].hub.login_max_failures
    guesses = max_failures + 3
    for index in range(guesses):
        # A new address every other guess: no pair and no address reaches its limit.
        attacker = _from(app, f"198.51.100.{index // 2}")
        assert _sign_in(attacker, users.provider.email, "a wrong guess") == 401

    owner = _from(app, "203.0.113.5")
    started = time.monotonic()
    assert _sign_in(owner, users.provider.email, PASSWORD) == 302
    waited = time.monotonic() - started
    assert waited >= accounts.slowdown(guesses + 1, max_failures) > 0
    # Signed in: the e-mail's count starts again, so the next sign-in is not slowed.
    email_key, _address_key, _pair_key = accounts.throttle_keys(users.provider.email, "x")
    assert email_key not in _throttles(app)


def test_the_slowdown_grows_with_each_failure_past_the_limit_up_to_a_cap() -> None:
    delays = [accounts.slowdown(failures, 5) for failures in range(1, 20)]
    assert delays[:5] == [0.0] * 5
    assert delays == sorted(delays)
    assert 0 < delays[5] < delays[6] and delays[-1] == accounts.SLOWDOWN_CAP_SECONDS


def test_one_address_guessing_many_e_mails_is_locked_out_at_four_times_the_limit(
    app: Flask, client: FlaskClient, users: Users
) -> None:
    max_failures = app.extensions["hub.config"].hub.login_max_failures
    for index in range(max_failures * 4):
        assert _sign_in(client, f"person{index}@example.com", "a wrong guess") == 401
    assert _sign_in(client, users.concierge.email, PASSWORD) == 429
    assert _sign_in(_from(app, "192.0.2.9"), users.concierge.email, PASSWORD) == 302


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
