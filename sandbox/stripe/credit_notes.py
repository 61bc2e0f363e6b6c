"""Emulate /v1/credit_notes: credit an open or paid invoice by line or by amount.

A credit note on an open invoice is `pre_payment` and lowers what is due (a note that covers
all of it leaves nothing to pay, and the invoice is paid); on a paid invoice it is
`post_payment`, split between `refund_amount` (refunded to the card: `charge.refunded`),
`credit_amount` (the customer's balance) and `out_of_band_amount`; with none of them given
the emulator credits the customer's balance. Taxes of credited lines are recomputed with the
line's tax rates, so crediting a whole line gives back exactly its tax.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from . import listing, taxes
from .errors import invalid
from .invoice_states import mark_paid
from .invoices import recompute
from .objects import build, list_object, now
from .params import INT, METADATA, NUM, PAGINATION, STR, List, Nullable, Range, Req
from .routing import Ctx, Route, Store
from .store import new_id

LINE: dict[str, Any] = {
    "amount": INT,
    "description": STR,
    "invoice_line_item": STR,
    "metadata": METADATA,
    "quantity": INT,
    "tax_rates": Nullable(List(STR)),
    "type": Req(STR),
    "unit_amount": INT,
    "unit_amount_decimal": NUM,
}
CREATE: dict[str, Any] = {
    "amount": INT,
    "credit_amount": INT,
    "email_type": STR,
    "expand": List(STR),
    "invoice": Req(STR),
    "lines": List(LINE),
    "memo": STR,
    "metadata": METADATA,
    "out_of_band_amount": INT,
    "reason": STR,
    "refund_amount": INT,
}
LIST = {**PAGINATION, "created": Range(), "customer": STR, "invoice": STR}


def _credited(store: Store, invoice_id: str) -> tuple[int, dict[str, int]]:
    """Return what earlier notes credited: in all, and per invoice line."""
    total, per_line = 0, dict[str, int]()
    for note in store.objects["credit_note"].values():
        if note["invoice"] == invoice_id and note["status"] == "issued":
            total += note["amount"]
            for line in store.private[note["id"]]["lines"]:
                if line["invoice_line_item"]:
                    per_line[line["invoice_line_item"]] = (
                        per_line.get(line["invoice_line_item"], 0) + line["amount"]
                    )
    return total, per_line


def _note_line(
    store: Store,
    ctx: Ctx,
    invoice: dict[str, Any],
    spec: dict[str, Any],
    index: int,
    per_line: dict[str, int],
) -> dict[str, Any]:
    param = f"lines[{index}]"
    if spec["type"] == "invoice_line_item":
        lines = {line["id"]: line for line in store.lines[invoice["id"]]}
        line = lines.get(spec.get("invoice_line_item", ""))
        if line is None:
            raise invalid(
                f"{param}[invoice_line_item] must be a line of invoice {invoice['id']}.",
                param=f"{param}[invoice_line_item]",
            )
        quantity = spec.get("quantity", line["quantity"] or 1)
        if "amount" in spec:
            amount = spec["amount"]
        elif quantity == line["quantity"]:
            amount = line["amount"]
        else:
            amount = taxes.round_half_up(
                Decimal(line["amount"]) * quantity / Decimal(line["quantity_decimal"])
            )
        if per_line.get(line["id"], 0) + amount > line["amount"]:
            raise invalid(
                f"{param} credits more than what remains of line {line['id']}.", param=param
            )
        rate_ids = [t["tax_rate_details"]["tax_rate"] for t in line["taxes"]]
        description, line_id, unit = line["description"], line["id"], None
    elif spec["type"] == "custom_line_item":
        quantity = spec.get("quantity", 1)
        unit = Decimal(spec.get("unit_amount_decimal", spec.get("unit_amount", 0)))
        amount = taxes.round_half_up(unit * quantity)
        rate_ids = spec.get("tax_rates") or []
        description, line_id = spec.get("description"), None
    else:
        raise invalid(
            f"Invalid {param}[type]: invoice_line_item or custom_line_item.", param=f"{param}[type]"
        )
    rates = [store.get("tax_rate", rate_id) for rate_id in rate_ids]
    return build(
        "credit_note_line_item",
        id=new_id("cnli"),
        amount=amount,
        description=description,
        invoice_line_item=line_id,
        livemode=ctx.livemode,
        metadata=spec.get("metadata") or {},
        quantity=quantity,
        tax_rates=rates,
        taxes=taxes.line_taxes(amount, rates),
        type=spec["type"],
        unit_amount=None if unit is None else int(unit),
        unit_amount_decimal=None if unit is None else str(unit),
    )


def create(store: Store, ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """Issue a credit note for lines of an invoice, or for an amount."""
    invoice = store.get("invoice", params["invoice"], param="invoice")
    if invoice["status"] not in ("open", "paid"):
        raise invalid(
            "You can only create a credit note for an open or paid invoice; this"
            f" invoice is {invoice['status']}.",
            param="invoice",
        )
    credited, per_line = _credited(store, invoice["id"])
    lines = [
        _note_line(store, ctx, invoice, spec, index, per_line)
        for index, spec in enumerate(params.get("lines", []))
    ]
    if not lines and "amount" not in params:
        raise invalid("Pass lines or amount.", param="lines", code="parameter_missing")
    subtotal = sum(line["amount"] for line in lines) if lines else params["amount"]
    all_taxes = [tax for line in lines for tax in line["taxes"]]
    inclusive = sum(t["amount"] for t in all_taxes if t["tax_behavior"] == "inclusive")
    exclusive = sum(t["amount"] for t in all_taxes if t["tax_behavior"] == "exclusive")
    total = subtotal + exclusive
    if lines and "amount" in params and params["amount"] != total:
        raise invalid(
            f"amount ({params['amount']}) must equal the lines' total ({total}).", param="amount"
        )
    if credited + total > invoice["total"]:
        raise invalid(
            f"The credit note total ({total}) exceeds what remains creditable on the"
            f" invoice ({invoice['total'] - credited}).",
            param="amount",
        )
    kind = "pre_payment" if invoice["status"] == "open" else "post_payment"
    split = {k: params.get(k) for k in ("refund_amount", "credit_amount", "out_of_band_amount")}
    if kind == "post_payment" and all(v is None for v in split.values()):
        split["credit_amount"] = total
    if kind == "post_payment" and sum(v or 0 for v in split.values()) != total:
        raise invalid(
            "refund_amount, credit_amount and out_of_band_amount must add up to the"
            f" credit note total ({total}).",
            param="refund_amount",
        )
    number = sum(1 for n in store.objects["credit_note"].values() if n["invoice"] == invoice["id"])
    note_id = new_id("cn")
    note = build(
        "credit_note",
        id=note_id,
        amount=total,
        created=now(),
        currency=invoice["currency"],
        customer=invoice["customer"],
        effective_at=now(),
        invoice=invoice["id"],
        lines=list_object(lines[:10], f"/v1/credit_notes/{note_id}/lines", len(lines) > 10),
        livemode=ctx.livemode,
        memo=params.get("memo"),
        metadata=params.get("metadata") or {},
        number=f"{invoice['number']}-CN-{number + 1:02d}",
        out_of_band_amount=split["out_of_band_amount"] if kind == "post_payment" else None,
        pdf=f"{ctx.base_url}/pdf/{note_id}",
        reason=params.get("reason"),
        status="issued",
        subtotal=subtotal,
        subtotal_excluding_tax=subtotal - inclusive,
        total=total,
        total_excluding_tax=subtotal - inclusive,
        total_taxes=taxes.total_taxes(lines),
        type=kind,
        voided_at=None,
        pre_payment_amount=total if kind == "pre_payment" else 0,
        post_payment_amount=total if kind == "post_payment" else 0,
        shipping_cost=None,
    )
    store.add(note)
    store.private[note_id] = {"lines": lines}
    store.record_event(ctx, "credit_note.created", note)
    _apply(store, ctx, invoice, note, split)
    return note


def _apply(
    store: Store,
    ctx: Ctx,
    invoice: dict[str, Any],
    note: dict[str, Any],
    split: dict[str, int | None],
) -> None:
    if note["type"] == "pre_payment":
        invoice["pre_payment_credit_notes_amount"] += note["amount"]
        recompute(store, invoice)
        if invoice["amount_remaining"] == 0:
            mark_paid(store, ctx, invoice, charge=None)
        return
    invoice["post_payment_credit_notes_amount"] += note["amount"]
    customer = store.objects["customer"][invoice["customer"]]
    if split["credit_amount"]:
        # A negative balance is a credit the customer's next invoices consume.
        customer["balance"] -= split["credit_amount"]
    charge_id = store.private[invoice["id"]].get("charge")
    if split["refund_amount"] and charge_id:
        charge = store.objects["charge"][charge_id]
        charge["amount_refunded"] += split["refund_amount"]
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        store.record_event(ctx, "charge.refunded", charge)


def retrieve(store: Store, ctx: Ctx, params: dict[str, Any], id: str) -> dict[str, Any]:
    """Return a credit note."""
    return store.get("credit_note", id)


def list_(store: Store, ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """List credit notes, newest first, by invoice, customer and creation time."""
    found = [
        n
        for n in store.newest_first("credit_note")
        if listing.matches_range(n["created"], params.get("created"))
        and all(n[name] == params[name] for name in ("customer", "invoice") if name in params)
    ]
    return listing.page(found, params, "/v1/credit_notes")


ROUTES = [
    Route("POST", "/v1/credit_notes", CREATE, create),
    Route("GET", "/v1/credit_notes", LIST, list_),
    Route("GET", "/v1/credit_notes/<id>", {"expand": List(STR)}, retrieve),
]
