"""``hub serve`` runs exactly one worker process beside gunicorn, and stops it on exit."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask

from tests import conftest
from tests.integration.workers import (
    HUB,
    add_events,
    outbox,
    recording_log,
    wait_until,
    worker_env,
)

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _children(pid: int) -> dict[int, list[str]]:
    """Return the command lines of the process's children, read from /proc."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid:
            found[int(entry.name)] = [part.decode() for part in cmdline if part]
    return found


def _workers_of(pid: int) -> list[int]:
    return [child for child, cmd in _children(pid).items() if cmd[-1:] == ["worker"]]


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class Server:
    def __init__(
        self, database: conftest.TestDatabase, tmp_path: Path, *args: str, **jobs: Any
    ) -> None:
        self.port = _free_port()
        self.log_path = tmp_path / "serve.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [str(HUB), "serve", "--port", str(self.port), "--workers", "1", *args],
                env=worker_env(database, tmp_path, **jobs),
                cwd=tmp_path,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def ready(self) -> bool:
        try:
            return requests.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2).ok
        except requests.ConnectionError:
            return False

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=40)


Serve = Callable[..., Server]


@pytest.fixture
def serve(database: conftest.TestDatabase, tmp_path: Path) -> Iterator[Serve]:
    servers: list[Server] = []

    def start(*args: str, **jobs: Any) -> Server:
        server = Server(database, tmp_path, *args, **jobs)
        servers.append(server)
        assert wait_until(server.ready, timeout=30), server.log()
        return server

    yield start
    for server in servers:
        if server.process.poll() is None:
            for child in _children(server.process.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child, signal.SIGKILL)
            server.process.kill()
            server.process.wait()


def test_serve_runs_one_worker_that_delivers_and_stops_with_the_server(
    app: Flask, serve: Serve, tmp_path: Path
) -> None:
    server = serve()
    (row_id,) = add_events(app, ["C-1"])
    assert wait_until(lambda: outbox(app)[row_id].status == "delivered"), server.log()
    (worker,) = _workers_of(server.process.pid)
    assert [e["pid"] for e in recording_log(tmp_path).delivered()] == [worker]

    assert server.stop() == 0, server.log()
    assert wait_until(lambda: not _alive(worker), timeout=10)


@pytest.mark.parametrize(
    "args, jobs", [(["--no-worker"], {}), ([], {"embedded": "false"})], ids=["flag", "setting"]
)
def test_serve_told_not_to_embed_the_worker_starts_none(
    app: Flask, serve: Serve, args: list[str], jobs: dict[str, str]
) -> None:
    server = serve(*args, **jobs)
    assert _workers_of(server.process.pid) == []
    assert server.stop() == 0


def test_stopping_the_server_logs_the_embedded_worker_stopped_once(serve: Serve) -> None:
    server = serve()
    assert _workers_of(server.process.pid), server.log()

    assert server.stop() == 0, server.log()
    lines = [line for line in server.log().splitlines() if "embedded worker stopped" in line]
    assert len(lines) == 1, server.log()
