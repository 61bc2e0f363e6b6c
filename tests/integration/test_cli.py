"""The ``hub`` console script, driven as an operator would, against both databases."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from sqlalchemy.orm import Session

from hub import accounts, create_app
from hub.cli import PLUGIN_GROUP, main
from hub.config import load_config
from hub.db import Database, get_db
from hub.models import (
    ApiToken,
    BillingStatus,
    Customer,
    Order,
    OrderEvent,
    OrderStatus,
    OutboxRow,
    Service,
    User,
)
from hub.schema import current_revision, head_revision
from tests import conftest

SECRET = "cli-test-secret-key-0123456789abcdef"
PASSWORD = "a long enough password"


@dataclass
class Hub:
    """Run ``hub`` commands against one test database and read what they stored."""

    db: Database
    env: dict[str, str | None]
    runner: CliRunner

    def __call__(self, *args: str, input: str | None = None, **env: str | None) -> Result:
        return self.runner.invoke(main, list(args), input=input, env={**self.env, **env})

    def count(self, model: type[Any]) -> int:
        with Session(self.db.engine) as session:
            return session.scalar(sa.select(sa.func.count()).select_from(model)) or 0

    def session(self) -> Session:
        return Session(self.db.engine)


def _make_hub(url: str, tmp_path: Path) -> Hub:
    # An empty configuration file, so that a developer's config.toml never leaks in.
    config = tmp_path / "hub.toml"
    config.write_text("")
    env: dict[str, str | None] = {
        "HUB_CONFIG": str(config),
        "HUB_DATABASE_URL": url,
        "HUB_SECRET_KEY": SECRET,
        "HUB_INSTANCE_PATH": str(tmp_path / "instance"),
        "HUB_LOG_LEVEL": "WARNING",
        "HUB_PASSWORD_HASH_COST": "test",
        "HUB_DEBUG": None,
    }
    return Hub(db=Database(url), env=env, runner=CliRunner())


@pytest.fixture
def hub(database: conftest.TestDatabase, tmp_path: Path) -> Iterator[Hub]:
    """The console script on the migrated test database, its tables emptied."""
    runner = _make_hub(database.url, tmp_path)
    conftest.empty_tables(runner.db)
    yield runner
    runner.db.dispose()


@pytest.fixture
def fresh_hub(database: conftest.TestDatabase, tmp_path: Path) -> Iterator[Hub]:
    """The console script on a database of the same backend with no tables at all."""
    if database.backend == "sqlite":
        # An empty file is an SQLite database without tables; a missing one is tested below.
        (tmp_path / "fresh.sqlite3").touch()
        runner = _make_hub(f"sqlite:///{tmp_path / 'fresh.sqlite3'}", tmp_path)
        yield runner
        runner.db.dispose()
        return
    name, url = conftest._create_pg_database()
    runner = _make_hub(url, tmp_path)
    try:
        yield runner
    finally:
        runner.db.dispose()
        conftest._drop_pg_database(name)


def _ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


def _user(hub: Hub, email: str) -> User | None:
    with hub.session() as session:
        return session.scalars(sa.select(User).where(User.email == email)).first()


# -- init ----------------------------------------------------------------------------------


def test_init_on_an_empty_database_builds_the_schema_and_the_catalogue(fresh_hub: Hub) -> None:
    output = _ok(fresh_hub("init"))
    head = head_revision(fresh_hub.db)
    assert f"Schema: empty -> {head}." in output
    assert "Catalogue: 10 service(s) added." in output
    assert current_revision(fresh_hub.db) == head
    assert fresh_hub.count(Service) == 10


@pytest.mark.parametrize(
    "command", [("outbox", "status"), ("jobs", "list"), ("token", "create", "a@example.com")]
)
def test_commands_on_a_database_without_schema_say_to_run_init(
    fresh_hub: Hub, command: tuple[str, ...]
) -> None:
    result = fresh_hub(*command)
    assert result.exit_code != 0
    assert "run `hub init` first" in result.output
    assert "Traceback" not in result.output


def test_init_twice_changes_nothing_the_second_time(hub: Hub) -> None:
    _ok(hub("init"))
    output = _ok(hub("init"))
    head = head_revision(hub.db)
    assert f"Schema: {head} -> {head}." in output
    assert "Catalogue: 0 service(s) added." in output
    assert hub.count(Service) == 10


def test_init_demo_fills_every_state_through_the_ledger_once(hub: Hub) -> None:
    output = _ok(hub("init", "--demo"))
    assert "Demo data added: 6 users, 25 customers, 150 orders." in output
    assert "/login" in output
    match = re.search(r"the password (\S+)", output)
    assert match, output
    password = match.group(1)

    with hub.session() as session:
        users = list(session.scalars(sa.select(User)))
        assert sorted(u.role for u in users) == ["admin"] + ["concierge"] * 2 + ["provider"] * 3
        assert all(accounts.Passwords().check(u, password) for u in users)
        customers = list(session.scalars(sa.select(Customer)))
        assert len(customers) == 25
        assert any(c.email is None for c in customers)
        assert all(c.address and "Paris" in c.address for c in customers)
        orders = list(session.scalars(sa.select(Order)))
        assert len(orders) == 150
        assert {o.status for o in orders} == {s.value for s in OrderStatus}
        assert {o.billing_status for o in orders} == {b.value for b in BillingStatus}
        now = max(o.created_at for o in orders)
        scheduled = [o.scheduled_at for o in orders if o.scheduled_at]
        assert min(scheduled) < now < max(scheduled)
        # History and outbox rows come from the ledger, one story per order.
        with_history = set(session.scalars(sa.select(OrderEvent.order_id).distinct()))
        assert with_history == {o.id for o in orders}
        outbox_refs = set(
            session.scalars(
                sa.select(OutboxRow.aggregate_ref).where(OutboxRow.aggregate_type == "order")
            )
        )
        assert outbox_refs == {o.ref for o in orders}
        done = session.scalars(
            sa.select(OrderEvent).where(OrderEvent.kind == "done").limit(1)
        ).one()
        assert done.actor is not None and done.actor.role == "provider"

    counts = {m: hub.count(m) for m in (User, Customer, Order, OrderEvent, OutboxRow)}
    again = _ok(hub("init", "--demo"))
    assert "nothing added" in again
    assert password not in again
    assert {m: hub.count(m) for m in counts} == counts


# -- users ---------------------------------------------------------------------------------


def test_user_create_reads_the_password_from_stdin(hub: Hub) -> None:
    output = _ok(
        hub(
            "user",
            "create",
            "Lea@Example.com",
            "--role",
            "concierge",
            "--name",
            "Léa Roux",
            "--password-stdin",
            input=PASSWORD + "\n",
            # The production cost, which the other tests trade for a cheap one.
            HUB_PASSWORD_HASH_COST=None,
        )
    )
    assert "Created concierge lea@example.com" in output
    user = _user(hub, "lea@example.com")
    assert user is not None
    assert (user.role, user.name, user.active) == ("concierge", "Léa Roux", True)
    assert (user.password_hash or "").startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert accounts.Passwords().check(user, PASSWORD)
    assert PASSWORD not in output


def test_user_create_asks_for_the_password_twice(hub: Hub) -> None:
    _ok(hub("user", "create", "ops@example.com", "--role", "admin", input=f"{PASSWORD}\n" * 2))
    user = _user(hub, "ops@example.com")
    assert user is not None and accounts.Passwords().check(user, PASSWORD)


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("not-an-address", PASSWORD, "is not an e-mail address"),
        ("short@example.com", "short", "at least 10 characters"),
        ("empty@example.com", "", "No password given"),
    ],
)
def test_user_create_refuses_bad_input_and_stores_nothing(
    hub: Hub, email: str, password: str, message: str
) -> None:
    result = hub(
        "user", "create", email, "--role", "admin", "--password-stdin", input=password + "\n"
    )
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert hub.count(User) == 0


def test_user_create_refuses_an_unknown_role(hub: Hub) -> None:
    result = hub("user", "create", "x@example.com", "--role", "owner", "--password-stdin")
    assert result.exit_code != 0
    assert "owner" in result.output
    assert hub.count(User) == 0


def test_user_create_refuses_a_second_user_with_the_same_email(hub: Hub) -> None:
    args = ("user", "create", "claire@example.com", "--role", "concierge", "--password-stdin")
    _ok(hub(*args, input=PASSWORD + "\n"))
    result = hub(*args[:4], "admin", args[5], input="another long password\n")
    assert result.exit_code != 0
    assert "already exists" in result.output
    user = _user(hub, "claire@example.com")
    assert user is not None and user.role == "concierge"
    assert accounts.Passwords().check(user, PASSWORD)
    assert hub.count(User) == 1


# -- tokens --------------------------------------------------------------------------------


def test_token_create_prints_a_token_of_which_only_the_hash_is_stored(hub: Hub) -> None:
    _ok(hub("init"))
    _ok(
        hub(
            "user",
            "create",
            "api@example.com",
            "--role",
            "concierge",
            "--password-stdin",
            input=PASSWORD + "\n",
        )
    )
    token = _ok(hub("token", "create", "api@example.com", "--label", "shop")).strip()
    assert token.startswith(accounts.TOKEN_PREFIX) and len(token) > 40

    with hub.session() as session:
        row = session.scalars(sa.select(ApiToken)).one()
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert row.label == "shop"
        stored = " ".join(str(v) for v in (row.token_hash, row.prefix, row.label))
        assert token not in stored

    # The web app, configured exactly as the commands were.
    environ = {name: value for name, value in hub.env.items() if value is not None}
    client = create_app(load_config(environ=environ)).test_client()
    try:
        answer = client.get("/api/v1/services", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200
        assert len(answer.get_json()["data"]) == 10
        refused = client.get("/api/v1/services", headers={"Authorization": "Bearer hub_forged"})
        assert refused.status_code == 401
    finally:
        get_db(client.application).dispose()


def test_token_create_for_an_unknown_user_is_a_clear_error(hub: Hub) -> None:
    result = hub("token", "create", "nobody@example.com")
    assert result.exit_code != 0
    assert "No active user nobody@example.com." in result.output
    assert hub.count(ApiToken) == 0


# -- configuration -------------------------------------------------------------------------


def test_without_a_secret_key_outside_debug_every_command_stops_naming_the_setting(
    fresh_hub: Hub,
) -> None:
    result = fresh_hub("init", HUB_SECRET_KEY=None)
    assert result.exit_code != 0
    assert "No secret key is set. Set HUB_SECRET_KEY" in result.output
    assert "Traceback" not in result.output
    assert current_revision(fresh_hub.db) is None


def test_help_needs_no_configuration(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--help"], env={"HUB_CONFIG": str(tmp_path / "absent.toml")})
    assert result.exit_code == 0
    for command in ("init", "user", "token", "serve"):
        assert command in result.output


# -- where the database is -----------------------------------------------------------------


def _run_in(folder: Path, *args: str, input: str | None = None, **env: str | None) -> Result:
    """Run ``hub`` from another folder, with nothing of the developer's environment."""
    folder.mkdir(parents=True, exist_ok=True)
    base: dict[str, str | None] = {
        "HUB_CONFIG": None,
        "HUB_DATABASE_URL": None,
        "HUB_INSTANCE_PATH": None,
        "HUB_SECRET_KEY": SECRET,
        "HUB_LOG_LEVEL": "WARNING",
        "HUB_DEBUG": None,
    }
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        return CliRunner().invoke(main, list(args), input=input, env={**base, **env})


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.parametrize(
    "command",
    [
        ("outbox", "status"),
        ("outbox", "replay", "--dead"),
        ("jobs", "list"),
        ("jobs", "run", "outbox.reap"),
        ("worker",),
        ("serve", "--no-worker"),
        ("token", "create", "a@example.com"),
        ("user", "create", "a@example.com", "--role", "admin", "--password-stdin"),
    ],
)
def test_a_command_on_a_missing_sqlite_database_names_it_and_creates_nothing(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    elsewhere = tmp_path / "elsewhere"
    result = _run_in(elsewhere, *command, input=PASSWORD + "\n")
    assert result.exit_code == 1, result.output
    expected = elsewhere.resolve() / "instance" / "hub.sqlite3"
    assert f"There is no database at {expected}. Run `hub init`" in result.output
    assert "Traceback" not in result.output
    assert _files(elsewhere) == []


def test_a_missing_database_named_by_a_relative_url_is_shown_with_its_absolute_path(
    tmp_path: Path,
) -> None:
    result = _run_in(tmp_path / "here", "outbox", "status", HUB_DATABASE_URL="sqlite:///x.db")
    assert result.exit_code == 1
    assert f"There is no database at {(tmp_path / 'here' / 'x.db').resolve()}." in result.output
    assert _files(tmp_path / "here") == []


def test_init_creates_the_database_and_prints_its_absolute_path(tmp_path: Path) -> None:
    here = tmp_path / "here"
    output = _ok(_run_in(here, "init", HUB_DATABASE_URL="sqlite:///data/hub.db"))
    database = (here / "data" / "hub.db").resolve()
    assert output.startswith(f"Database: {database}\n")
    assert database.is_file()
    assert "Catalogue: 10 service(s) added." in output


def test_init_on_postgresql_names_the_database_without_its_password(fresh_hub: Hub) -> None:
    url = sa.engine.make_url(fresh_hub.db.url)
    if url.get_backend_name() != "postgresql":
        pytest.skip("the SQLite case is above")
    with_password = url.set(password="not-to-be-printed")
    output = fresh_hub("init", HUB_DATABASE_URL=with_password.render_as_string(False)).output
    assert f"Database: {url.drivername}://{url.username}:***@{url.host}:" in output
    assert f"/{url.database}\nSchema: empty -> " in output
    assert "not-to-be-printed" not in output


def test_commands_from_any_folder_find_the_database_next_to_the_configuration_file(
    tmp_path: Path,
) -> None:
    home = tmp_path / "hub"
    home.mkdir()
    config = home / "config.toml"
    config.write_text(f'[hub]\nsecret_key = "{SECRET}"\n')
    database = (home / "instance" / "hub.sqlite3").resolve()

    output = _ok(_run_in(tmp_path / "a", "init", HUB_CONFIG=str(config), HUB_SECRET_KEY=None))
    assert output.startswith(f"Database: {database}\n")
    assert database.is_file()
    _ok(_run_in(tmp_path / "b", "outbox", "status", HUB_CONFIG=str(config)))
    jobs = _ok(_run_in(tmp_path / "c", "jobs", "list", HUB_CONFIG=str(config)))
    assert "outbox.reap" in jobs
    assert _files(tmp_path / "a") == _files(tmp_path / "b") == _files(tmp_path / "c") == []


def test_a_relative_instance_path_is_relative_to_the_file_that_sets_it(tmp_path: Path) -> None:
    home = tmp_path / "etc"
    home.mkdir()
    config = home / "hub.toml"
    config.write_text('[hub]\ninstance_path = "state"\n')
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)
        from_file = load_config(environ={"HUB_CONFIG": str(config)})
        from_env = load_config(environ={"HUB_CONFIG": str(config), "HUB_INSTANCE_PATH": "here"})
        without_file = load_config(environ={"HUB_CONFIG": "/dev/null"})
        urls = [cfg.database_url for cfg in (from_file, from_env, without_file)]
    assert urls == [
        f"sqlite:///{home.resolve() / 'state' / 'hub.sqlite3'}",
        # What the shell sets means the current folder, as any path on a command line does.
        f"sqlite:///{tmp_path.resolve() / 'here' / 'hub.sqlite3'}",
        f"sqlite:///{tmp_path.resolve() / 'instance' / 'hub.sqlite3'}",
    ]


# -- plugged-in commands -------------------------------------------------------------------


def test_the_jobs_commands_are_plugged_in_through_entry_points() -> None:
    plugged = {entry.name: entry.value for entry in entry_points(group=PLUGIN_GROUP)}
    assert plugged == {"worker": "jobs.cli:worker_command", "jobs": "jobs.cli:jobs_group"}
    result = CliRunner().invoke(main, ["--help"], env={"HUB_CONFIG": "/dev/null"})
    listed = re.findall(r"^  (\w+) ", result.output.split("Commands:")[1], re.M)
    assert listed == [
        "demo",
        "init",
        "invoice",
        "jobs",
        "outbox",
        "reconcile",
        "serve",
        "sheets",
        "token",
        "user",
        "worker",
    ]


def test_nothing_under_hub_imports_jobs() -> None:
    hub_dir = Path(__file__).parents[2] / "hub"
    importing = [
        str(path.relative_to(hub_dir))
        for path in hub_dir.rglob("*.py")
        if re.search(r"^\s*(from|import)\s+jobs\b", path.read_text(encoding="utf-8"), re.M)
    ]
    assert importing == []
