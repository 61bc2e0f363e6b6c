"""Emulate /v1/invoices: drafts, totals, update, delete, list and search.

Lines live in `invoice_lines`; status changes (finalize, send, pay, void, mark
uncollectible) in `invoice_states`.
Invoices are in euros unless `currency` says otherwise; the emulator has no prices or
products, so lines carry `price_data` (with `product_data`) or a bare `amount`.
"""

from __future__ import annotations

from typing import Any

from . import listing, taxes
from .errors import invalid
from .objects import EMBEDDED_LINES, build, list_object, now
from .params import (
    BOOL,
    INT,
    METADATA,
    PAGINATION,
    SEARCH,
    STR,
    List,
    Nullable,
    Range,
    Req,
    merge_metadata,
)
from .routing import Ctx, Route, Store, changed
from .store import new_id

DEFAULT_CURRENCY = "eur"
COLLECTION_METHODS = ("charge_automatically", "send_invoice")

UPDATE: dict[str, Any] = {
    "auto_advance": BOOL,
    "collection_method": STR,
    "days_until_due": INT,
    "default_payment_method": Nullable(STR),
    "default_tax_rates": Nullable(List(STR)),
    "description": Nullable(STR),
    "due_date": INT,
    "expand": List(STR),
    "footer": Nullable(STR),
    "metadata": METADATA,
    "statement_descriptor": Nullable(STR),
}
CREATE = {**UPDATE, "currency": STR, "customer": Req(STR), "pending_invoice_items_behavior": STR}
# Editable on a draft only: Stripe freezes money and collection once an invoice is finalized.
DRAFT_ONLY = {"collection_method", "days_until_due", "default_tax_rates", "due_date"}
LIST = {
    **PAGINATION,
    "collection_method": STR,
    "created": Range(),
    "customer": STR,
    "due_date": Range(),
    "status": STR,
    "subscription": STR,
}
SEARCH_FIELDS = {
    "created",
    "currency",
    "customer",
    "metadata",
    "number",
    "status",
    "subscription",
    "total",
}


def _collection(params: dict[str, Any], invoice: dict[str, Any] | None) -> None:
    method = params.get("collection_method", invoice["collection_method"] if invoice else None)
    if method is not None and method not in COLLECTION_METHODS:
        raise invalid(
            f"Invalid collection_method: must be one of {', '.join(COLLECTION_METHODS)}",
            param="collection_method",
        )
    if params.get("days_until_due") is not None and method != "send_invoice":
        raise invalid(
            "days_until_due can only be set when collection_method is send_invoice.",
            param="days_until_due",
        )


def tax_rates(store: Store, ids: list[str] | None, param: str) -> list[dict[str, Any]]:
    rates = [store.get("tax_rate", rate_id, param=param) for rate_id in ids or []]
    for rate in rates:
        if not rate["active"]:
            raise invalid(f"Tax rate {rate['id']} is inactive and cannot be applied.", param=param)
    return rates


def create(store: Store, ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """Create a draft invoice for a customer."""
    customer = store.get("customer", params["customer"], param="customer")
    _collection(params, None)
    tax_rates(store, params.get("default_tax_rates"), "default_tax_rates")
    created = now()
    invoice_id = new_id("in")
    days = params.get("days_until_due")
    if (
        params.get("collection_method") == "send_invoice"
        and days is None
        and "due_date" not in params
    ):
        raise invalid(
            "Invoices sent for payment need days_until_due or due_date.",
            param="days_until_due",
            code="parameter_missing",
        )
    invoice = build(
        "invoice",
        id=invoice_id,
        object="invoice",
        created=created,
        livemode=ctx.livemode,
        customer=customer["id"],
        customer_name=customer["name"],
        customer_email=customer["email"],
        customer_phone=customer["phone"],
        customer_address=customer["address"],
        currency=params.get("currency", DEFAULT_CURRENCY).lower(),
        auto_advance=params.get("auto_advance", False),
        collection_method=params.get("collection_method", "charge_automatically"),
        due_date=params.get("due_date"),
        default_payment_method=params.get("default_payment_method"),
        default_tax_rates=params.get("default_tax_rates") or [],
        description=params.get("description"),
        footer=params.get("footer"),
        statement_descriptor=params.get("statement_descriptor"),
        metadata=params.get("metadata") or {},
        effective_at=None,
        next_payment_attempt=None,
        period_start=created,
        period_end=created,
        webhooks_delivered_at=None,
        account_country="FR",
    )
    store.add(invoice)
    store.lines[invoice_id] = []
    # Not a field of Stripe's invoice object: the due date is set from it at finalization.
    store.private[invoice_id] = {"days_until_due": days}
    recompute(store, invoice)
    store.record_event(ctx, "invoice.created", invoice)
    return invoice


def recompute(store: Store, invoice: dict[str, Any]) -> None:
    """Recompute an invoice's totals from its lines and refresh its first page of lines."""
    lines = store.lines[invoice["id"]]
    subtotal = sum(line["amount"] for line in lines)
    all_taxes = [tax for line in lines for tax in line["taxes"]]
    inclusive = sum(t["amount"] for t in all_taxes if t["tax_behavior"] == "inclusive")
    exclusive = sum(t["amount"] for t in all_taxes if t["tax_behavior"] == "exclusive")
    total = subtotal + exclusive
    due = max(total - invoice["pre_payment_credit_notes_amount"], 0)
    invoice.update(
        subtotal=subtotal,
        subtotal_excluding_tax=subtotal - inclusive,
        total_excluding_tax=subtotal - inclusive,
        total=total,
        total_taxes=taxes.total_taxes(lines),
        total_pretax_credit_amounts=[],
        amount_due=due,
        amount_remaining=0 if invoice["status"] in ("paid", "void") else due,
        lines=list_object(
            lines[:EMBEDDED_LINES],
            f"/v1/invoices/{invoice['id']}/lines",
            len(lines) > EMBEDDED_LINES,
        ),
    )


def require_draft(invoice: dict[str, Any], action: str) -> None:
    """Refuse to change what Stripe freezes at finalization."""
    if invoice["status"] != "draft":
        raise invalid(
            f"You can only {action} draft invoices; this invoice is {invoice['status']}.",
            code="invoice_not_editable",
        )


def retrieve(store: Store, ctx: Ctx, params: dict[str, Any], id: str) -> dict[str, Any]:
    """Return an invoice with its first page of lines."""
    return store.get("invoice", id)


def update(store: Store, ctx: Ctx, params: dict[str, Any], id: str) -> dict[str, Any]:
    """Update an invoice: everything on a draft, metadata and texts afterwards."""
    invoice = store.get("invoice", id)
    if DRAFT_ONLY & set(params):
        require_draft(invoice, "change " + ", ".join(sorted(DRAFT_ONLY & set(params))) + " of")
    _collection(params, invoice)
    tax_rates(store, params.get("default_tax_rates"), "default_tax_rates")
    if "days_until_due" in params:
        store.private[id]["days_until_due"] = params["days_until_due"]
    hidden = ("expand", "metadata", "days_until_due")
    updates = {k: v for k, v in params.items() if k not in hidden}
    if "default_tax_rates" in updates and updates["default_tax_rates"] is None:
        updates["default_tax_rates"] = []
    if "metadata" in params:
        updates["metadata"] = merge_metadata(invoice["metadata"], params["metadata"])
    previous = changed(invoice, updates)
    if previous:
        store.record_event(ctx, "invoice.updated", invoice, previous)
    return invoice


def delete(store: Store, ctx: Ctx, params: dict[str, Any], id: str) -> dict[str, Any]:
    """Delete a draft invoice (finalized ones can only be voided)."""
    invoice = store.get("invoice", id)
    require_draft(invoice, "delete")
    store.deleted.add(id)
    store.record_event(ctx, "invoice.deleted", invoice)
    return {"id": id, "object": "invoice", "deleted": True}


def list_(store: Store, ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """List invoices, newest first, by customer, status, collection method and dates."""
    found = [
        i
        for i in store.newest_first("invoice")
        if listing.matches_range(i["created"], params.get("created"))
        and (
            params.get("due_date") is None
            or (
                i["due_date"] is not None
                and listing.matches_range(i["due_date"], params["due_date"])
            )
        )
        and all(
            i[name] == params[name]
            for name in ("customer", "status", "collection_method", "subscription")
            if name in params
        )
    ]
    return listing.page(found, params, "/v1/invoices")


def search(store: Store, ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """Search invoices (eventually consistent: see `Store.search_delay_seconds`)."""
    found = store.searchable(store.newest_first("invoice"))
    return listing.search(found, params, "/v1/invoices/search", SEARCH_FIELDS, "invoices")


ROUTES = [
    Route("POST", "/v1/invoices", CREATE, create),
    Route("GET", "/v1/invoices", LIST, list_),
    Route("GET", "/v1/invoices/search", SEARCH, search),
    Route("GET", "/v1/invoices/<id>", {"expand": List(STR)}, retrieve),
    Route("POST", "/v1/invoices/<id>", UPDATE, update),
    Route("DELETE", "/v1/invoices/<id>", {}, delete),
]
