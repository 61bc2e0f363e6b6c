"""Test and demo connectors: one records every delivery in a file, one does nothing at all.

Not for production. They are loaded only when named in ``[jobs] extra_connectors``, e.g.
``extra_connectors = "connectors.recording:recording_connector"``, and then take events whose
outbox rows carry their name (``recording``, ``noop``); the ledger never writes such rows.

The recording connector writes to ``<instance>/recording/<name>/``, which any process can
read, so tests can check deliveries made by worker processes:

- ``deliveries.jsonl``: one JSON line per step: ``start``, then ``delivered``, ``transient``
  or ``permanent``, and ``overlap`` if the event was already being delivered by a live process;
- ``faults.json``: how to misbehave, by aggregate ref, re-read on every delivery:
  ``{"C-1": {"fail_times": 2, "retry_after": 30, "permanent": "msg", "sleep": 0.5}}``
  fails attempts 1 and 2 transiently (asking to wait 30 s), fails every attempt permanently
  with "msg", or sleeps half a second before answering; ``{"C-1": {"kill": true}}`` kills
  the delivering process with SIGKILL, an event that crashes its worker.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from connectors.base import ANY_TOPIC, Event, Outcome, PluginContext, takes_topic, unknown_topic
from connectors.errors import ConnectorError, PermanentError, TransientError


class RecordingLog:
    """Read and steer what a recording connector does, from any process."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.log_path = directory / "deliveries.jsonl"
        self.faults_path = directory / "faults.json"
        self.inflight = directory / "inflight"

    @classmethod
    def of(cls, instance_path: Path, name: str = "recording") -> RecordingLog:
        return cls(Path(instance_path) / "recording" / name)

    def set_faults(self, faults: dict[str, dict[str, Any]]) -> None:
        """Replace the faults, atomically, so a delivery never reads half a file."""
        self.directory.mkdir(parents=True, exist_ok=True)
        scratch = self.faults_path.with_suffix(f".{os.getpid()}.tmp")
        scratch.write_text(json.dumps(faults), encoding="utf-8")
        scratch.replace(self.faults_path)

    def faults_for(self, aggregate_ref: str) -> dict[str, Any]:
        try:
            faults = json.loads(self.faults_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        found: dict[str, Any] = faults.get(aggregate_ref, {})
        return found

    def entries(self) -> list[dict[str, Any]]:
        """Return every recorded step, in the order they were written."""
        try:
            text = self.log_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def delivered(self) -> list[dict[str, Any]]:
        return [e for e in self.entries() if e["kind"] == "delivered"]

    def write(self, entry: dict[str, Any]) -> None:
        # One write() on an O_APPEND descriptor, so lines from several processes never mix.
        line = (json.dumps(entry) + "\n").encode()
        fd = os.open(self.log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RecordingConnector:
    """Record each event it is given, and fail or dawdle when ``faults.json`` says so."""

    topics = frozenset({ANY_TOPIC})

    def __init__(self, directory: Path, *, name: str = "recording", max_batch: int = 1) -> None:
        self.name = name
        self.max_batch = max_batch
        self.log = RecordingLog(directory)
        self.log.inflight.mkdir(parents=True, exist_ok=True)

    def deliver(self, events: Sequence[Event]) -> Sequence[Outcome]:
        return [self._deliver(event) for event in events]

    def _deliver(self, event: Event) -> Outcome:
        base = {
            "event_id": event.id,
            "aggregate_ref": event.aggregate_ref,
            "topic": event.topic,
            "attempt": event.attempt,
            "pid": os.getpid(),
        }
        marker = self.log.inflight / str(event.id)
        self._enter(marker, base)
        self.log.write({**base, "kind": "start", "at": time.time()})
        try:
            if not takes_topic(self, event.topic):
                raise unknown_topic(self, event)
            self._misbehave(event)
        except ConnectorError as exc:
            kind = "permanent" if isinstance(exc, PermanentError) else "transient"
            self.log.write({**base, "kind": kind, "error": exc.message, "at": time.time()})
            return Outcome(event.id, exc)
        finally:
            marker.unlink(missing_ok=True)
        self.log.write({**base, "kind": "delivered", "at": time.time()})
        return Outcome(event.id)

    def _enter(self, marker: Path, base: dict[str, Any]) -> None:
        try:
            fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            holder = int(marker.read_text(encoding="utf-8") or 0)
            if holder and _alive(holder):
                self.log.write({**base, "kind": "overlap", "holder": holder, "at": time.time()})
            fd = os.open(marker, os.O_WRONLY | os.O_TRUNC)
        try:
            os.write(fd, str(os.getpid()).encode())
        finally:
            os.close(fd)

    def _misbehave(self, event: Event) -> None:
        faults = self.log.faults_for(event.aggregate_ref)
        if faults.get("kill"):
            os.kill(os.getpid(), signal.SIGKILL)
        if faults.get("sleep"):
            time.sleep(float(faults["sleep"]))
        if faults.get("permanent"):
            raise PermanentError(str(faults["permanent"]))
        if event.attempt <= int(faults.get("fail_times", 0)):
            retry_after = faults.get("retry_after")
            raise TransientError(
                f"recorded failure {event.attempt} of {faults['fail_times']}",
                retry_after=float(retry_after) if retry_after is not None else None,
            )


class NoopConnector:
    """Accept every event and do nothing: the dispatcher's own cost, for benchmarks."""

    name = "noop"
    topics = frozenset({ANY_TOPIC})
    max_batch = 100

    def deliver(self, events: Sequence[Event]) -> Sequence[Outcome]:
        return [Outcome(event.id) for event in events]


def recording_connector(ctx: PluginContext) -> RecordingConnector:
    """Build the ``recording`` connector, which delivers one event per call."""
    return RecordingConnector(ctx.instance_path / "recording" / "recording")


def noop_connector(ctx: PluginContext) -> NoopConnector:
    """Build the ``noop`` connector."""
    return NoopConnector()
