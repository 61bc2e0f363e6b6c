"""Signing in and out: roles, throttling, ended sessions, safe redirects, cookies and headers."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from hub import accounts
from hub.db import get_db, get_session, utcnow, write_transaction
from hub.models import LoginThrottle, User
from tests import conftest
from tests.conftest import PASSWORD, Users, csrf_from, login, make_app, post_form, read_in_english

WRONG = "Wrong e-mail or password."


def sign_in(client: FlaskClient, email: str, password: str, query: str = "") -> TestResponse:
    read_in_english(client)
    return post_form(
        client, "/login" + query, "/login" + query, {"email": email, "password": password}
    )


def change_user(app: Flask, user: User, action: str) -> None:
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            person = session.get(User, user.id)
            assert person is not None
            if action == "deactivate":
                accounts.set_active(session, person, False)
            else:
                accounts.set_password(
                    session, person, accounts.Passwords("test").hash("another long password")
                )


# -- signing in ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "home"), [("provider", "/missions"), ("concierge", "/board"), ("admin", "/board")]
)
def test_signing_in_leads_each_role_to_its_home(
    client: FlaskClient, users: Users, role: str, home: str
) -> None:
    response = sign_in(client, users.by_role(role).email, PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == home


def test_the_e_mail_is_not_case_sensitive(client: FlaskClient, users: Users) -> None:
    response = sign_in(client, "  Provider@Example.COM ", PASSWORD)
    assert response.headers["Location"] == "/missions"


def test_a_wrong_password_gives_401_and_a_message(client: FlaskClient, users: Users) -> None:
    response = sign_in(client, users.provider.email, "not the password")
    assert response.status_code == 401
    html = response.get_data(as_text=True)
    assert WRONG in html
    assert 'value="provider@example.com"' in html  # the e-mail is kept, the password is not
    assert client.get("/missions").status_code == 302


def test_an_unknown_e_mail_gets_the_same_answer(client: FlaskClient, users: Users) -> None:
    response = sign_in(client, "nobody@example.com", PASSWORD)
    assert response.status_code == 401
    assert WRONG in response.get_data(as_text=True)


def test_sign_in_without_a_csrf_token_is_refused(client: FlaskClient, users: Users) -> None:
    response = client.post("/login", data={"email": users.provider.email, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/missions").status_code == 302


def test_sign_in_is_throttled_after_too_many_failures_until_the_lockout_passes(
    app: Flask, client: FlaskClient, users: Users
) -> None:
    max_failures = app.extensions["hub.config"].hub.login_max_failures
    for _attempt in range(max_failures):
        assert sign_in(client, users.provider.email, "guess").status_code == 401

    locked = sign_in(client, users.provider.email, PASSWORD)

    assert locked.status_code == 429
    assert "Too many failed attempts" in locked.get_data(as_text=True)
    assert client.get("/missions").status_code == 302
    # Let the lockout pass without waiting for it.
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            session.execute(
                sa.update(LoginThrottle).values(locked_until=utcnow() - timedelta(seconds=1))
            )
    assert sign_in(client, users.provider.email, PASSWORD).status_code == 302
    assert client.get("/missions").status_code == 200


def test_a_lockout_on_one_e_mail_leaves_other_people_alone(
    app: Flask, client: FlaskClient, users: Users
) -> None:
    max_failures = app.extensions["hub.config"].hub.login_max_failures
    for _attempt in range(max_failures):
        sign_in(client, users.provider.email, "guess")
    other = app.test_client()
    assert sign_in(other, users.concierge.email, PASSWORD).status_code == 302


def test_a_deactivated_user_cannot_sign_in_and_their_session_ends(
    app: Flask, client: FlaskClient, users: Users
) -> None:
    login(client, users.provider)
    assert client.get("/missions").status_code == 200

    change_user(app, users.provider, "deactivate")

    assert client.get("/missions").status_code == 302
    response = sign_in(app.test_client(), users.provider.email, PASSWORD)
    assert response.status_code == 401
    assert WRONG in response.get_data(as_text=True)


def test_a_password_reset_ends_other_sessions(
    app: Flask, client: FlaskClient, users: Users
) -> None:
    login(client, users.provider)

    change_user(app, users.provider, "reset")

    response = client.get("/missions")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert sign_in(app.test_client(), users.provider.email, PASSWORD).status_code == 401
    fresh = app.test_client()
    assert sign_in(fresh, users.provider.email, "another long password").status_code == 302


# -- signing out ---------------------------------------------------------------------------


def test_sign_out_needs_a_post_with_a_csrf_token(client: FlaskClient, users: Users) -> None:
    login(client, users.provider)
    page = client.get("/missions").get_data(as_text=True)

    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/missions").status_code == 200

    response = client.post("/logout", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert client.get("/missions").status_code == 302


def test_a_copied_session_cookie_stops_working_after_sign_out(
    app: Flask, client: FlaskClient, users: Users
) -> None:
    login(client, users.provider)
    page = client.get("/missions").get_data(as_text=True)
    cookie = client.get_cookie("hub_session")
    assert cookie is not None
    copy = app.test_client()
    copy.set_cookie("hub_session", cookie.value, domain=cookie.domain)
    assert copy.get("/missions").status_code == 200

    client.post("/logout", data={"csrf_token": csrf_from(page)})

    assert copy.get("/missions").status_code == 302
    assert client.get("/missions").status_code == 302


# -- redirects -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "//evil.example/missions",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "missions",
    ],
)
def test_sign_in_refuses_to_redirect_off_site(
    client: FlaskClient, users: Users, target: str
) -> None:
    from urllib.parse import quote

    response = sign_in(client, users.provider.email, PASSWORD, "?next=" + quote(target, safe=""))
    assert response.status_code == 302
    assert response.headers["Location"] == "/missions"


def test_sign_in_returns_to_the_page_asked_for(client: FlaskClient, users: Users) -> None:
    first = client.get("/admin/services")
    assert first.status_code == 302
    response = sign_in(client, users.admin.email, PASSWORD, "?next=/admin/services")
    assert response.headers["Location"] == "/admin/services"


def test_signed_in_visitors_of_the_login_page_go_home(client: FlaskClient, users: Users) -> None:
    login(client, users.provider)
    response = client.get("/login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/missions"


# -- cookies, headers, language ------------------------------------------------------------


def _session_cookie(response: TestResponse) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("hub_session=")]
    assert cookies, "no session cookie was set"
    return cookies[0]


def test_the_session_cookie_is_http_only_and_same_site_lax(client: FlaskClient) -> None:
    cookie = _session_cookie(client.get("/login"))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # base_url is plain http in tests


def test_the_session_cookie_is_secure_behind_https(
    database: conftest.TestDatabase, tmp_path: Path
) -> None:
    app = make_app(database, tmp_path, hub={"base_url": "https://hub.example"})
    try:
        response = app.test_client().get("/login", base_url="https://hub.example")
        cookie = _session_cookie(response)
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert "max-age=" in response.headers["Strict-Transport-Security"]
    finally:
        get_db(app).dispose()


def test_pages_carry_the_security_headers(client: FlaskClient, users: Users) -> None:
    login(client, users.provider)
    for url in ("/login", "/missions"):
        response = client.get(url)
        csp = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp
        assert "default-src 'self'" in csp
        assert "script-src 'self'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"
    assert client.get("/missions").headers["Cache-Control"] == "no-store"


def test_the_language_switches_to_english_and_back(client: FlaskClient) -> None:
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="fr">' in page
    token = csrf_from(page)

    response = client.post("/language", data={"lang": "en", "next": "/login", "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    english = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in english
    assert 'value="en" class="link" aria-current="true"' in english

    client.post("/language", data={"lang": "fr", "next": "/login", "csrf_token": token})
    assert '<html lang="fr">' in client.get("/login").get_data(as_text=True)


def test_the_language_switch_ignores_unknown_languages_and_off_site_targets(
    client: FlaskClient,
) -> None:
    response = post_form(client, "/login", "/language", {"lang": "xx", "next": "//evil.example"})
    assert response.headers["Location"] == "/login"
    assert '<html lang="fr">' in client.get("/login").get_data(as_text=True)


def test_the_language_switch_needs_a_csrf_token(client: FlaskClient) -> None:
    assert client.post("/language", data={"lang": "en"}).status_code == 400
