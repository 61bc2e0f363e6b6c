"""A stop signal that arrives while ``hub worker`` is still starting ends it cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.workers import HUB

pytestmark = pytest.mark.slow


class StalledDatabase:
    """A PostgreSQL address that accepts connections and never answers: start-up hangs there."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(8)
        self.port = self.server.getsockname()[1]
        self.connected = threading.Event()
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.held.append(conn)
            self.connected.set()

    def close(self) -> None:
        for conn in self.held:
            conn.close()
        self.server.close()


@pytest.fixture
def stalled() -> Iterator[StalledDatabase]:
    database = StalledDatabase()
    yield database
    database.close()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_during_start_up_exits_cleanly_and_says_so(
    stalled: StalledDatabase, tmp_path: Path, signum: signal.Signals
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(
        HUB_CONFIG="/dev/null",
        HUB_DATABASE_URL=f"postgresql+psycopg://hub@127.0.0.1:{stalled.port}/hub",
        HUB_SECRET_KEY="test-secret-key-0123456789abcdef",
        HUB_INSTANCE_PATH=str(tmp_path / "instance"),
        HUB_LOG_LEVEL="INFO",
    )
    worker = subprocess.Popen(
        [str(HUB), "worker"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        # The worker is setting up: it reached the database, which does not answer.
        assert stalled.connected.wait(timeout=60)
        worker.send_signal(signum)
        output, _ = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    text = output.decode(errors="replace")
    assert worker.returncode == 0, text
    lines = text.splitlines()
    assert any('"msg": "worker stopping"' in line and signum.name in line for line in lines), text
    assert any('"msg": "worker stopped"' in line for line in lines), text
    assert "Traceback" not in text
