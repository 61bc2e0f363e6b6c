"""Emulate an invoice's lines: bulk `add_lines` (250 lines at most) and the lines list."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from . import listing, taxes
from .errors import invalid
from .invoices import recompute, require_draft, tax_rates
from .objects import build, now
from .params import BOOL, INT, METADATA, NUM, PAGINATION, STR, List, Nullable, Req, merge_metadata
from .routing import Ctx, Route, Store
from .store import new_id

# Stripe refuses more than 250 items on one invoice (changelog 2016-02-22,
# https://docs.stripe.com/changelog/2016-02-22/no-more-than-250-invoice-items).
MAX_LINES = 250
LINE: dict[str, Any] = {
    "amount": INT,
    "description": STR,
    "discountable": BOOL,
    "metadata": METADATA,
    "period": {"start": Req(INT), "end": Req(INT)},
    "price_data": {
        "currency": Req(STR),
        "product": STR,
        "product_data": {"name": Req(STR), "description": STR, "metadata": METADATA},
        "tax_behavior": STR,
        "unit_amount": INT,
        "unit_amount_decimal": NUM,
    },
    "quantity": INT,
    "quantity_decimal": NUM,
    "tax_rates": Nullable(List(STR)),
}
ADD_LINES = {"expand": List(STR), "invoice_metadata": METADATA, "lines": Req(List(LINE))}


def _line(
    store: Store, invoice: dict[str, Any], spec: dict[str, Any], index: int, ctx: Ctx
) -> dict[str, Any]:
    param = f"lines[{index}]"
    if ("amount" in spec) == ("price_data" in spec):
        raise invalid(
            f"Pass exactly one of {param}[amount] and {param}[price_data].",
            param=param,
            code="parameters_exclusive",
        )
    if "quantity" in spec and "quantity_decimal" in spec:
        raise invalid(
            f"Pass at most one of {param}[quantity] and {param}[quantity_decimal].",
            param=param,
            code="parameters_exclusive",
        )
    quantity = Decimal(spec.get("quantity_decimal", spec.get("quantity", 1)))
    if quantity < 0:
        raise invalid("Quantity must be positive.", param=f"{param}[quantity]")
    unit: Decimal | None = None
    if "price_data" in spec:
        price = spec["price_data"]
        if price["currency"].lower() != invoice["currency"]:
            raise invalid(
                f"The currency of {param} must be the invoice's ({invoice['currency']}).",
                param=f"{param}[price_data][currency]",
            )
        unit = Decimal(price.get("unit_amount_decimal", price.get("unit_amount", 0)))
        amount = taxes.round_half_up(unit * quantity)
        description = spec.get("description") or price.get("product_data", {}).get("name")
    else:
        amount = spec["amount"]
        description = spec.get("description")
    # A line's own rates replace the invoice's defaults; `tax_rates=` (empty) means none.
    own = spec.get("tax_rates", invoice["default_tax_rates"])
    rate_ids = own or []
    rates = tax_rates(store, rate_ids, f"{param}[tax_rates]")
    created = now()
    period = spec.get("period", {"start": created, "end": created})
    return build(
        "line_item",
        id=new_id("il"),
        amount=amount,
        currency=invoice["currency"],
        description=description,
        discountable=spec.get("discountable", True),
        invoice=invoice["id"],
        livemode=ctx.livemode,
        metadata=spec.get("metadata") or {},
        parent={
            "type": "invoice_item_details",
            "invoice_item_details": {
                "invoice_item": new_id("ii"),
                "proration": False,
                "proration_details": {"credited_items": None},
                "subscription": None,
            },
            "subscription_item_details": None,
        },
        period=period,
        pretax_credit_amounts=[],
        pricing=None
        if unit is None
        else {
            "type": "price_details",
            "price_details": {
                "price": new_id("price"),
                "product": spec["price_data"].get("product") or new_id("prod"),
            },
            "unit_amount_decimal": str(unit),
        },
        quantity=int(quantity) if quantity == quantity.to_integral_value() else None,
        quantity_decimal=str(quantity),
        subtotal=amount,
        taxes=taxes.line_taxes(amount, rates),
    )


def add_lines(store: Store, ctx: Ctx, params: dict[str, Any], id: str) -> dict[str, Any]:
    """Add up to 250 lines in all to a draft invoice in one call."""
    invoice = store.get("invoice", id)
    require_draft(invoice, "add lines to")
    existing = store.lines[id]
    if len(existing) + len(params["lines"]) > MAX_LINES:
        raise invalid(
            f"An invoice can have at most {MAX_LINES} line items; this one has"
            f" {len(existing)} and the request adds {len(params['lines'])}.",
            param="lines",
        )
    new = [_line(store, invoice, spec, index, ctx) for index, spec in enumerate(params["lines"])]
    existing.extend(new)
    if "invoice_metadata" in params:
        invoice["metadata"] = merge_metadata(invoice["metadata"], params["invoice_metadata"])
    recompute(store, invoice)
    store.record_event(ctx, "invoice.updated", invoice, {"lines": None})
    return invoice


def list_lines(store: Store, ctx: Ctx, params: dict[str, Any], id: str) -> dict[str, Any]:
    """Page through all the lines of an invoice, in the order they were added."""
    store.get("invoice", id)
    return listing.page(store.lines[id], params, f"/v1/invoices/{id}/lines")


ROUTES = [
    Route("POST", "/v1/invoices/<id>/add_lines", ADD_LINES, add_lines),
    Route("GET", "/v1/invoices/<id>/lines", PAGINATION, list_lines),
]
