"""The server trusts only its own host names, and debug mode stays on this machine."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hub.db import get_db
from tests import conftest
from tests.conftest import Users, api_headers, login
from tests.integration.test_worker_embedded import _free_port
from tests.integration.workers import HUB, worker_env


@pytest.fixture
def make(database: conftest.TestDatabase, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Build apps with settings of the test's choosing, disposed of afterwards."""
    built: list[Flask] = []

    def build(**hub: object) -> Flask:
        app = conftest.make_app(database, tmp_path / f"app{len(built)}", hub=hub)
        built.append(app)
        return app

    yield build
    for app in built:
        get_db(app).dispose()


def test_a_double_slash_path_with_a_foreign_host_is_refused_not_redirected_there(
    app: Flask,
) -> None:
    response = app.test_client().get("//evil.example/x", headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert "evil.example" not in response.headers.get("Location", "")


def test_a_foreign_host_is_a_400_on_pages_and_a_json_400_on_the_api(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/login", headers={"Host": "evil.example"}).status_code == 400
    response = client.get("/api/v1/services", headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"


@pytest.mark.parametrize("host", ["localhost", "localhost:8000", "127.0.0.1:5000", "127.0.0.1"])
def test_a_loopback_base_url_answers_to_every_name_of_this_machine(app: Flask, host: str) -> None:
    assert app.test_client().get("/healthz", headers={"Host": host}).status_code == 200


def test_a_public_base_url_answers_to_its_host_and_the_allowed_extras_only(
    make: Callable[..., Flask],
) -> None:
    app = make(base_url="https://hub.example.com", allowed_hosts="10.0.0.5, hub.internal")
    client = app.test_client()
    for host in ("hub.example.com", "hub.example.com:443", "10.0.0.5:8000", "hub.internal"):
        assert client.get("/healthz", headers={"Host": host}).status_code == 200, host
    for host in ("localhost", "127.0.0.1", "evil.example", "example.com"):
        assert client.get("/healthz", headers={"Host": host}).status_code == 400, host


def test_debug_mode_without_a_secret_key_signs_with_a_random_key_per_process(
    make: Callable[..., Flask],
) -> None:
    first = make(debug=True, secret_key="")
    second = make(debug=True, secret_key="")
    keys = {first.config["SECRET_KEY"], second.config["SECRET_KEY"]}
    assert len(keys) == 2
    assert "debug-only-secret-key" not in keys
    assert all(len(key) >= 32 for key in keys)


@pytest.mark.parametrize("host", ["0.0.0.0", "localhost"])
def test_hub_serve_in_debug_mode_beyond_loopback_stops_with_a_sentence(
    app: Flask, database: conftest.TestDatabase, tmp_path: Path, host: str
) -> None:
    env = {**worker_env(database, tmp_path), "HUB_DEBUG": "true"}
    output = tmp_path / "serve.log"
    with output.open("wb") as log:
        process = subprocess.Popen(
            [str(HUB), "serve", "--host", host, "--port", str(_free_port()), "--no-worker"],
            env=env,
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        returncode = process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        pytest.fail("debug mode went on serving on " + host)
    said = output.read_text()
    assert returncode == 1, said
    assert "Debug mode listens on 127.0.0.1 only" in said
    assert f"--host {host}" in said


def _ready(client: FlaskClient, **headers: str) -> tuple[int, dict[str, object]]:
    response = client.get("/readyz", headers=headers)
    return response.status_code, response.get_json()


def test_readyz_tells_anyone_only_whether_the_hub_is_ready(app: Flask, users: Users) -> None:
    client = app.test_client()
    assert _ready(client) == (200, {"status": "ok", "database": "ok"})
    assert _ready(client, Authorization="Bearer hub_forged") == (
        200,
        {"status": "ok", "database": "ok"},
    )
    login(client, users.concierge)
    assert "outbox" not in _ready(client)[1]


def test_readyz_shows_the_outbox_to_a_signed_in_admin_or_a_token(app: Flask, users: Users) -> None:
    admin = app.test_client()
    login(admin, users.admin)
    status, body = _ready(admin)
    assert status == 200 and set(body) == {"status", "database", "outbox", "worker"}
    assert body["outbox"] == {
        "backlog": 0,
        "in_flight": 0,
        "dead": 0,
        "oldest_pending_seconds": None,
    }
    token = api_headers(app, users.provider)["Authorization"]
    assert "outbox" in _ready(app.test_client(), Authorization=token)[1]
