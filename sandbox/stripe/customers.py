"""Emulate /v1/customers: create, retrieve, update, delete, list and search."""

from __future__ import annotations

import secrets
from typing import Any

from . import listing
from .objects import build, now
from .params import BOOL, METADATA, PAGINATION, SEARCH, STR, List, Nullable, Range, merge_metadata
from .routing import Ctx, Route, Store, changed
from .store import new_id

ADDRESS = {
    "city": STR,
    "country": STR,
    "line1": STR,
    "line2": STR,
    "postal_code": STR,
    "state": STR,
}
FIELDS: dict[str, Any] = {
    "address": Nullable(ADDRESS),
    "description": Nullable(STR),
    "email": Nullable(STR),
    "expand": List(STR),
    "invoice_settings": {"default_payment_method": Nullable(STR), "footer": Nullable(STR)},
    "metadata": METADATA,
    "name": Nullable(STR),
    "phone": Nullable(STR),
    "preferred_locales": Nullable(List(STR)),
    "shipping": Nullable({"address": ADDRESS, "name": STR, "phone": STR}),
    "tax_exempt": STR,
}
CREATE = {**FIELDS, "invoice_prefix": STR, "payment_method": STR, "validate": BOOL}
LIST = {**PAGINATION, "created": Range(), "email": STR}
SEARCH_FIELDS = {"created", "email", "metadata", "name", "phone"}


def _address(value: dict[str, str] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {name: value.get(name) for name in ADDRESS}


def _simple(params: dict[str, Any]) -> dict[str, Any]:
    """Return the fields that map one to one from parameters to the customer."""
    fields: dict[str, Any] = {}
    for name in ("description", "email", "name", "phone", "tax_exempt", "preferred_locales"):
        if name in params:
            fields[name] = params[name] if params[name] is not None else None
    if "preferred_locales" in fields and fields["preferred_locales"] is None:
        fields["preferred_locales"] = []
    if "address" in params:
        fields["address"] = _address(params["address"])
    if "shipping" in params:
        shipping = params["shipping"]
        fields["shipping"] = (
            None
            if shipping is None
            else {
                "address": _address(shipping.get("address")),
                "name": shipping.get("name"),
                "phone": shipping.get("phone"),
            }
        )
    return fields


def create(store: Store, ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """Create a customer."""
    customer = build(
        "customer",
        id=new_id("cus"),
        created=now(),
        livemode=ctx.livemode,
        currency=None,
        invoice_prefix=params.get("invoice_prefix") or secrets.token_hex(4).upper(),
        next_invoice_sequence=1,
        metadata=params.get("metadata") or {},
        # A customer created with an address keeps it (it used to be passed twice: a 500).
        **{"address": None, **_simple(params)},
    )
    settings = params.get("invoice_settings", {})
    pm = settings.get("default_payment_method") or params.get("payment_method")
    customer["invoice_settings"]["default_payment_method"] = pm
    customer["invoice_settings"]["footer"] = settings.get("footer")
    store.add(customer)
    store.record_event(ctx, "customer.created", customer)
    return customer


def retrieve(store: Store, ctx: Ctx, params: dict[str, Any], id: str) -> dict[str, Any]:
    """Return a customer; a deleted one is a stub saying so, as in Stripe."""
    if id in store.deleted and id in store.objects["customer"]:
        return {"id": id, "object": "customer", "deleted": True}
    return store.get("customer", id)


def update(store: Store, ctx: Ctx, params: dict[str, Any], id: str) -> dict[str, Any]:
    """Update a customer and record `customer.updated` when anything changed."""
    customer = store.get("customer", id)
    updates = _simple(params)
    if "metadata" in params:
        updates["metadata"] = merge_metadata(customer["metadata"], params["metadata"])
    if "invoice_settings" in params:
        settings = {**customer["invoice_settings"], **params["invoice_settings"]}
        updates["invoice_settings"] = settings
    previous = changed(customer, updates)
    if previous:
        store.record_event(ctx, "customer.updated", customer, previous)
    return customer


def delete(store: Store, ctx: Ctx, params: dict[str, Any], id: str) -> dict[str, Any]:
    """Delete a customer and record `customer.deleted`."""
    customer = store.get("customer", id)
    store.deleted.add(id)
    store.record_event(ctx, "customer.deleted", customer)
    return {"id": id, "object": "customer", "deleted": True}


def list_(store: Store, ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """List customers, newest first, filtered by e-mail and creation time."""
    found = [
        c
        for c in store.newest_first("customer")
        if listing.matches_range(c["created"], params.get("created"))
        and ("email" not in params or c["email"] == params["email"])
    ]
    return listing.page(found, params, "/v1/customers")


def search(store: Store, ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """Search customers (eventually consistent: see `Store.search_delay_seconds`)."""
    found = store.searchable(store.newest_first("customer"))
    return listing.search(found, params, "/v1/customers/search", SEARCH_FIELDS, "customers")


ROUTES = [
    Route("POST", "/v1/customers", CREATE, create),
    Route("GET", "/v1/customers", LIST, list_),
    Route("GET", "/v1/customers/search", SEARCH, search),
    Route("GET", "/v1/customers/<id>", {"expand": List(STR)}, retrieve),
    Route("POST", "/v1/customers/<id>", FIELDS, update),
    Route("DELETE", "/v1/customers/<id>", {}, delete),
]
