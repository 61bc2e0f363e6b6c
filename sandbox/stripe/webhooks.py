"""Sign events and POST them to endpoints, with optional duplicates, reordering and delay.

The signature is Stripe's scheme (https://docs.stripe.com/webhooks#verify-manually): the
`Stripe-Signature` header is `t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<payload>" keyed by
the endpoint secret>`, which `stripe.Webhook.construct_event` verifies. Deliveries run on one
background thread; `flush()` waits until everything queued has been attempted.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import random
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import requests


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    """Return the `Stripe-Signature` header of a payload."""
    at = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{at}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


@dataclass(frozen=True)
class Endpoint:
    """A URL that receives the events of the given types (all when `events` is None)."""

    url: str
    secret: str
    events: frozenset[str] | None = None


@dataclass(frozen=True)
class Delivery:
    """One attempt to deliver an event to an endpoint."""

    event_id: str
    event_type: str
    url: str
    status: int | None
    error: str | None


@dataclass
class WebhookSender:
    """Deliver recorded events to endpoints on a background thread."""

    duplicates: int = 0
    reorder: bool = False
    delay_seconds: float = 0.0
    max_attempts: int = 3
    timeout_seconds: float = 5.0
    seed: int = 0
    endpoints: list[Endpoint] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    _queue: queue.Queue[dict[str, Any]] = field(default_factory=queue.Queue)
    _idle: threading.Condition = field(default_factory=threading.Condition)
    _busy: int = 0
    _thread: threading.Thread | None = None
    _stopping: threading.Event = field(default_factory=threading.Event)

    def add_endpoint(
        self, url: str, secret: str | None = None, events: list[str] | None = None
    ) -> str:
        """Register an endpoint and return its signing secret (`whsec_...`)."""
        secret = secret or "whsec_" + secrets.token_hex(16)
        self.endpoints.append(Endpoint(url, secret, frozenset(events) if events else None))
        return secret

    def enqueue(self, event: dict[str, Any]) -> None:
        """Queue an event for every endpoint that wants it."""
        wanted = [e for e in self.endpoints if e.events is None or event["type"] in e.events]
        if not wanted:
            return
        event["pending_webhooks"] = len(wanted)
        with self._idle:
            self._busy += 1
        self._queue.put(event)

    def start(self) -> None:
        """Start the delivery thread."""
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="stripe-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the delivery thread; undelivered events are dropped."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued event has been attempted; return False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout=timeout)

    def _run(self) -> None:
        # Seeded so a reordering is reproducible; nothing secret depends on it.
        rng = random.Random(self.seed)  # noqa: S311
        session = requests.Session()
        while not self._stopping.is_set():
            try:
                batch = [self._queue.get(timeout=0.05)]
            except queue.Empty:
                continue
            if self.reorder:
                # Let the events of one burst gather, then send them in a shuffled order.
                time.sleep(max(self.delay_seconds, 0.05))
                while not self._queue.empty():
                    batch.append(self._queue.get_nowait())
                rng.shuffle(batch)
            elif self.delay_seconds:
                time.sleep(self.delay_seconds)
            for event in batch:
                self._deliver(session, event)
                with self._idle:
                    self._busy -= 1
                    self._idle.notify_all()

    def _deliver(self, session: requests.Session, event: dict[str, Any]) -> None:
        payload = json.dumps(event, indent=2)
        for endpoint in self.endpoints:
            if endpoint.events is not None and event["type"] not in endpoint.events:
                continue
            for _copy in range(1 + self.duplicates):
                if self._post(session, endpoint, event, payload):
                    event["pending_webhooks"] = max(0, event["pending_webhooks"] - 1)

    def _post(
        self, session: requests.Session, endpoint: Endpoint, event: dict[str, Any], payload: str
    ) -> bool:
        for attempt in range(self.max_attempts):
            status: int | None = None
            error: str | None = None
            try:
                response = session.post(
                    endpoint.url,
                    data=payload.encode(),
                    headers={
                        "Content-Type": "application/json; charset=utf-8",
                        "Stripe-Signature": sign(payload, endpoint.secret),
                        "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                    },
                    timeout=self.timeout_seconds,
                )
                status = response.status_code
            except requests.RequestException as exc:
                error = f"{type(exc).__name__}: {exc}"
            self.deliveries.append(
                Delivery(event["id"], event["type"], endpoint.url, status, error)
            )
            if status is not None and 200 <= status < 300:
                return True
            if attempt + 1 < self.max_attempts:
                time.sleep(0.1 * (attempt + 1))
        return False
