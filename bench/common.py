"""Where benchmark databases live, and a real ``hub serve`` (gunicorn) started for a benchmark."""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import requests

from hub.config import CONFIG_FILE_VAR, environment

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"
HUB = Path(sys.executable).parent / "hub"
PG_ADMIN_URL = os.environ.get(
    "HUB_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SIZES = {"10k": 10_000, "1m": 1_000_000}
BACKENDS = ("sqlite", "postgresql")

CONCIERGE_EMAIL = "bench-concierge@example.test"
CONCIERGE_PASSWORD = "bench-concierge-password"  # only ever used on loopback bench databases
PROVIDER_EMAILS = tuple(f"bench-provider-{n}@example.test" for n in range(1, 6))


@dataclass(frozen=True)
class Ledger:
    """One benchmark database: a backend and a ledger size, cached between runs."""

    backend: str
    size_label: str

    @property
    def orders(self) -> int:
        return SIZES[self.size_label]

    @property
    def name(self) -> str:
        return f"hub_bench_{self.size_label}"

    @property
    def sqlite_path(self) -> Path:
        return DATA / f"{self.name}.sqlite3"

    def url(self, name: str | None = None) -> str:
        """Return the SQLAlchemy URL of this ledger, or of a sibling database called ``name``."""
        name = name or self.name
        if self.backend == "sqlite":
            return f"sqlite:///{DATA / (name + '.sqlite3')}"
        return re.sub(r"/[^/]*$", f"/{name}", PG_ADMIN_URL)

    def env(self, name: str | None = None) -> dict[str, str]:
        """Return the environment a ``hub`` command needs to work on this ledger."""
        env = dict(os.environ)
        env |= environment(
            {
                "hub": {
                    "database_url": self.url(name),
                    "secret_key": _secret_key(),
                    "instance_path": DATA / "instance",
                },
                "jobs": {"embedded": False},
            }
        )
        env.pop(CONFIG_FILE_VAR, None)
        return env


def _secret_key() -> str:
    # Stable across runs, so a session cookie signed by one server start stays readable.
    path = DATA / "secret_key"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()


def hub(ledger: Ledger, *args: str, stdin: str | None = None, name: str | None = None) -> str:
    """Run one ``hub`` command on the ledger and return what it printed."""
    done = subprocess.run(
        [str(HUB), *args],
        input=stdin,
        env=ledger.env(name),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"hub {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """``hub serve`` on a free loopback port, in its own process group, logs to a file."""

    def __init__(self, ledger: Ledger, *, workers: int = 2) -> None:
        self.ledger = ledger
        self.workers = workers
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = DATA / "logs" / f"serve-{ledger.backend}-{ledger.size_label}.log"
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        args = [str(HUB), "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        args += ["--workers", str(self.workers)]
        if "--no-worker" in hub(self.ledger, "serve", "--help"):
            args.append("--no-worker")
        with self.log_path.open("wb") as log:
            self._proc = subprocess.Popen(
                args,
                env=self.ledger.env(),
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise RuntimeError(f"hub serve exited; see {self.log_path}")
            try:
                if requests.get(self.base + "/healthz", timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"hub serve did not answer /healthz within 60 s; see {self.log_path}")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._proc is None:
            return
        # gunicorn's arbiter stops its workers on SIGTERM; the group covers stragglers.
        try:
            os.killpg(self._proc.pid, signal.SIGTERM)
            self._proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self._proc.pid, signal.SIGKILL)
            self._proc.wait()
        except ProcessLookupError:
            pass

    def login(self) -> str:
        """Sign in as the bench concierge through the login form; return the session cookie."""
        with requests.Session() as http:
            page = http.get(self.base + "/login", timeout=10)
            match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
            if match is None:
                raise RuntimeError("no CSRF token on /login")
            reply = http.post(
                self.base + "/login",
                data={
                    "csrf_token": match.group(1),
                    "email": CONCIERGE_EMAIL,
                    "password": CONCIERGE_PASSWORD,
                },
                allow_redirects=False,
                timeout=30,
            )
            cookie = http.cookies.get("hub_session")
            if reply.status_code != 302 or not cookie:
                raise RuntimeError(f"sign-in failed: HTTP {reply.status_code}")
            return f"hub_session={cookie}"
