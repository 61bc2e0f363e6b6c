"""Helpers for the outbox's tests: outbox rows to deliver, and real worker processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

from connectors.recording import RecordingConnector, RecordingLog
from hub.config import CONFIG_FILE_VAR, environment, without_hub_variables
from hub.db import get_session, write_transaction
from hub.ledger.outbox import wake_dispatchers
from hub.models import OutboxRow
from jobs.dispatcher import DispatchSettings, FactSink
from jobs.retry import RetryPolicy
from tests.conftest import TestDatabase
from tests.waiting import wait_until as wait_until  # shared; re-exported for these tests

HUB = Path(sys.executable).parent / "hub"


def settings(
    *,
    batch_size: int = 100,
    lease_seconds: float = 60,
    max_attempts: int = 5,
    base: float = 2.0,
    facts: FactSink | None = None,
) -> DispatchSettings:
    return DispatchSettings(
        facts=facts,
        batch_size=batch_size,
        lease_seconds=lease_seconds,
        policy=RetryPolicy(
            max_attempts=max_attempts, base_seconds=base, cap_seconds=600, max_age=timedelta(days=1)
        ),
    )


def recorder(tmp_path: Path, **kwargs: Any) -> RecordingConnector:
    """A recording connector writing under the app's instance folder, as a worker's would."""
    name = kwargs.get("name", "recording")
    return RecordingConnector(tmp_path / "instance" / "recording" / name, **kwargs)


def add_events(
    app: Flask,
    refs: Iterable[str],
    *,
    connector: str = "recording",
    topic: str = "test.event",
    payload: dict[str, Any] | None = None,
) -> list[int]:
    """Write one outbox row per aggregate ref, in the given order, and announce them."""
    with app.app_context():
        session = get_session()
        with write_transaction(session):
            rows = [
                OutboxRow(
                    connector=connector,
                    topic=topic,
                    aggregate_type="order",
                    aggregate_ref=ref,
                    payload={"topic": topic, "seq": n, **(payload or {})},
                )
                for n, ref in enumerate(refs)
            ]
            session.add_all(rows)
            wake_dispatchers(session, [connector])
        return [row.id for row in rows]


def outbox(app: Flask) -> dict[int, OutboxRow]:
    """Every outbox row by id, freshly read."""
    with app.app_context():
        session = get_session()
        found = {row.id: row for row in session.scalars(sa.select(OutboxRow))}
        session.commit()
        return found


def statuses(app: Flask) -> dict[str, int]:
    """Count outbox rows by status."""
    with app.app_context():
        session = get_session()
        counts = dict(
            session.execute(sa.select(OutboxRow.status, sa.func.count()).group_by(OutboxRow.status))
            .tuples()
            .all()
        )
        session.commit()
        return {str(status): int(count) for status, count in counts.items()}


def worker_env(
    database: TestDatabase, tmp_path: Path, log_level: str = "INFO", **jobs: Any
) -> dict[str, str]:
    """The environment of a ``hub worker`` process on the test database."""
    env = without_hub_variables(os.environ)
    env[CONFIG_FILE_VAR] = "/dev/null"
    env |= environment(
        {
            "hub": {
                "database_url": database.url,
                "secret_key": "test-secret-key-0123456789abcdef",
                "instance_path": tmp_path / "instance",
                "log_level": log_level,
            },
            "jobs": {
                "extra_connectors": "connectors.recording:recording_connector",
                "dispatch_interval_seconds": 0.2,
                **jobs,
            },
        }
    )
    return env


class WorkerProcess:
    """A ``hub worker`` child process whose log goes to a file in the test's folder."""

    def __init__(
        self,
        database: TestDatabase,
        tmp_path: Path,
        name: str,
        log_level: str = "INFO",
        **jobs: Any,
    ) -> None:
        self.log_path = tmp_path / f"{name}.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [str(HUB), "worker"],
            env=worker_env(database, tmp_path, log_level, **jobs),
            cwd=tmp_path,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_ready(self, timeout: float = 20.0) -> None:
        assert wait_until(lambda: "worker started" in self.log(), timeout), self.log()

    def terminate(self, timeout: float = 20.0) -> int:
        """Send SIGTERM and wait for the process to exit; return its exit code."""
        self.process.send_signal(signal.SIGTERM)
        return self.wait(timeout)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()
        self._log.close()

    def wait(self, timeout: float = 20.0) -> int:
        try:
            code = self.process.wait(timeout=timeout)
        finally:
            self._log.close()
        return code

    def ensure_stopped(self) -> None:
        if self.process.poll() is None:
            self.kill()


def recording_log(tmp_path: Path, name: str = "recording") -> RecordingLog:
    return RecordingLog.of(tmp_path / "instance", name)
