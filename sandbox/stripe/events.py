"""Emulate /v1/events: list and retrieve the events every state change records."""

from __future__ import annotations

from typing import Any

from . import listing
from .params import BOOL, PAGINATION, STR, List, Range
from .routing import Ctx, Route, Store

LIST = {**PAGINATION, "created": Range(), "delivery_success": BOOL, "type": STR, "types": List(STR)}


def _type_matches(event_type: str, wanted: str) -> bool:
    # Stripe's `type` filter takes one `*` wildcard, as in `invoice.*`.
    if "*" in wanted:
        prefix, _, suffix = wanted.partition("*")
        return event_type.startswith(prefix) and event_type.endswith(suffix)
    return event_type == wanted


def list_(store: Store, ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """List events, newest first, by type and creation time."""
    types = params.get("types")
    found = [
        e
        for e in store.newest_first("event")
        if listing.matches_range(e["created"], params.get("created"))
        and ("type" not in params or _type_matches(e["type"], params["type"]))
        and (types is None or e["type"] in types)
    ]
    return listing.page(found, params, "/v1/events")


def retrieve(store: Store, ctx: Ctx, params: dict[str, Any], id: str) -> dict[str, Any]:
    """Return an event."""
    return store.get("event", id)


ROUTES = [
    Route("GET", "/v1/events", LIST, list_),
    Route("GET", "/v1/events/<id>", {"expand": List(STR)}, retrieve),
]
