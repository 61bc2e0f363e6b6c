"""Hold the emulator's state: objects by kind, events, and the clock of search visibility."""

from __future__ import annotations

import copy
import secrets
import string
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .errors import missing
from .objects import API_VERSION, event_object

_ALPHABET = string.ascii_letters + string.digits

KINDS = ("customer", "tax_rate", "invoice", "credit_note", "event", "charge")


@dataclass(frozen=True)
class Ctx:
    """What a handler knows about the request it serves."""

    request_id: str
    idempotency_key: str | None
    base_url: str
    livemode: bool


def new_id(prefix: str) -> str:
    """Return a fresh Stripe-looking id such as `cus_Q3x...`."""
    return prefix + "_" + "".join(secrets.choice(_ALPHABET) for _ in range(24))


@dataclass
class Store:
    """All objects of one emulated Stripe account, guarded by one lock."""

    search_delay_seconds: float = 0.0
    lock: threading.RLock = field(default_factory=threading.RLock)
    objects: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {kind: {} for kind in KINDS}
    )
    # Invoice lines live beside their invoice: an invoice shows only its first page of them.
    lines: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)
    # What the emulator keeps about an object beyond Stripe's fields (days until due, charge).
    private: dict[str, dict[str, Any]] = field(default_factory=dict)
    on_event: Callable[[dict[str, Any]], None] | None = None
    _sequence: dict[str, int] = field(default_factory=dict)
    _searchable_at: dict[str, float] = field(default_factory=dict)
    _next_sequence: int = 0

    def add(self, obj: dict[str, Any]) -> dict[str, Any]:
        """Store a new object and return it."""
        self.objects[obj["object"]][obj["id"]] = obj
        self._next_sequence += 1
        self._sequence[obj["id"]] = self._next_sequence
        self._searchable_at[obj["id"]] = time.monotonic() + self.search_delay_seconds
        return obj

    def get(self, kind: str, object_id: str, *, param: str = "id") -> dict[str, Any]:
        """Return the live object, or raise Stripe's 404 for it."""
        obj = self.objects[kind].get(object_id)
        if obj is None or object_id in self.deleted:
            raise missing(kind.replace("_", " "), object_id, param=param)
        return obj

    def newest_first(self, kind: str) -> list[dict[str, Any]]:
        """Return the live objects of a kind, newest first, as Stripe lists them."""
        live = [o for o in self.objects[kind].values() if o["id"] not in self.deleted]
        return sorted(live, key=lambda o: (o["created"], self._sequence[o["id"]]), reverse=True)

    def searchable(self, objects: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """Keep the objects search already sees: Stripe's search index lags behind writes."""
        now = time.monotonic()
        return [o for o in objects if self._searchable_at.get(o["id"], 0.0) <= now]

    def record_event(
        self,
        ctx: Ctx | None,
        event_type: str,
        obj: dict[str, Any],
        previous_attributes: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Record the event a state change makes, and hand it to webhook delivery."""
        event = event_object(
            new_id("evt"),
            event_type,
            copy.deepcopy(obj),
            previous_attributes=previous_attributes,
            request_id=ctx.request_id if ctx else None,
            idempotency_key=ctx.idempotency_key if ctx else None,
            livemode=obj.get("livemode", False),
            api_version=API_VERSION,
        )
        self.add(event)
        if self.on_event is not None:
            self.on_event(event)
        return event
