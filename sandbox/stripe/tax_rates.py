"""Emulate /v1/tax_rates: create, retrieve, update and list."""

from __future__ import annotations

from typing import Any

from . import listing
from .objects import build, now
from .params import BOOL, METADATA, NUM, PAGINATION, STR, List, Range, Req, merge_metadata
from .routing import Ctx, Route, Store, changed
from .store import new_id

UPDATE: dict[str, Any] = {
    "active": BOOL,
    "country": STR,
    "description": STR,
    "display_name": STR,
    "expand": List(STR),
    "jurisdiction": STR,
    "metadata": METADATA,
    "state": STR,
    "tax_type": STR,
}
CREATE = {**UPDATE, "display_name": Req(STR), "inclusive": Req(BOOL), "percentage": Req(NUM)}
LIST = {**PAGINATION, "active": BOOL, "inclusive": BOOL, "created": Range()}


def create(store: Store, ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """Create a tax rate."""
    percentage = params["percentage"]
    rate = build(
        "tax_rate",
        id=new_id("txr"),
        created=now(),
        livemode=ctx.livemode,
        active=params.get("active", True),
        country=params.get("country"),
        description=params.get("description"),
        display_name=params["display_name"],
        inclusive=params["inclusive"],
        jurisdiction=params.get("jurisdiction"),
        metadata=params.get("metadata") or {},
        # Stripe answers percentages as JSON numbers: 20 stays 20, 5.5 stays 5.5.
        percentage=int(percentage) if percentage == int(percentage) else float(percentage),
        effective_percentage=None,
        state=params.get("state"),
        tax_type=params.get("tax_type"),
        flat_amount=None,
        rate_type="percentage",
    )
    store.add(rate)
    store.record_event(ctx, "tax_rate.created", rate)
    return rate


def retrieve(store: Store, ctx: Ctx, params: dict[str, Any], id: str) -> dict[str, Any]:
    """Return a tax rate."""
    return store.get("tax_rate", id)


def update(store: Store, ctx: Ctx, params: dict[str, Any], id: str) -> dict[str, Any]:
    """Update the mutable fields of a tax rate (its percentage never changes in Stripe)."""
    rate = store.get("tax_rate", id)
    updates = {k: v for k, v in params.items() if k not in ("expand", "metadata")}
    if "metadata" in params:
        updates["metadata"] = merge_metadata(rate["metadata"], params["metadata"])
    previous = changed(rate, updates)
    if previous:
        store.record_event(ctx, "tax_rate.updated", rate, previous)
    return rate


def list_(store: Store, ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """List tax rates, newest first."""
    found = [
        r
        for r in store.newest_first("tax_rate")
        if listing.matches_range(r["created"], params.get("created"))
        and all(r[name] == params[name] for name in ("active", "inclusive") if name in params)
    ]
    return listing.page(found, params, "/v1/tax_rates")


ROUTES = [
    Route("POST", "/v1/tax_rates", CREATE, create),
    Route("GET", "/v1/tax_rates", LIST, list_),
    Route("GET", "/v1/tax_rates/<id>", {"expand": List(STR)}, retrieve),
    Route("POST", "/v1/tax_rates/<id>", UPDATE, update),
]
