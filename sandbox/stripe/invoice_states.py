"""Emulate an invoice's status changes: finalize, send, pay, void, mark uncollectible.

Each change records the events Stripe sends for it. Test payment methods decide how a card
payment ends, as in Stripe's test mode (https://docs.stripe.com/testing): `pm_card_visa` (or
any other id) succeeds; the ids in `DECLINED` are declined with a 402 `card_error`, and the
invoice records `invoice.payment_failed`.

The emulator has no scheduler: `auto_advance` is stored but nothing advances by itself.
"""

from __future__ import annotations

from typing import Any

from .errors import StripeError, invalid
from .invoices import recompute
from .objects import build, now
from .params import BOOL, STR, List
from .routing import Ctx, Route, Store
from .store import new_id

DECLINED = {
    "pm_card_chargeDeclined",
    "pm_card_visa_chargeDeclined",
    "pm_card_chargeDeclinedInsufficientFunds",
    "pm_card_chargeCustomerFail",
}
EXPAND_ONLY: dict[str, Any] = {"expand": List(STR)}
FINALIZE = {"auto_advance": BOOL, "expand": List(STR)}
PAY = {
    "expand": List(STR),
    "forgive": BOOL,
    "off_session": BOOL,
    "paid_out_of_band": BOOL,
    "payment_method": STR,
    "source": STR,
}


def _refuse(invoice: dict[str, Any], action: str, allowed: tuple[str, ...]) -> None:
    if invoice["status"] not in allowed:
        raise invalid(
            f"You can only {action} an invoice whose status is"
            f" {' or '.join(allowed)}; this invoice is {invoice['status']}."
        )


def finalize_invoice(store: Store, ctx: Ctx, invoice: dict[str, Any]) -> None:
    """Finalize a draft: number it, give it its hosted page and PDF, and open it."""
    if invoice["status"] != "draft":
        raise invalid(
            "This invoice is already finalized, you can't re-finalize a non-draft invoice.",
            code="invoice_not_editable",
        )
    customer = store.objects["customer"][invoice["customer"]]
    finalized_at = now()
    days = store.private[invoice["id"]]["days_until_due"]
    invoice.update(
        status="open",
        number=f"{customer['invoice_prefix']}-{customer['next_invoice_sequence']:04d}",
        hosted_invoice_url=f"{ctx.base_url}/pay/{invoice['id']}",
        invoice_pdf=f"{ctx.base_url}/pdf/{invoice['id']}",
        effective_at=finalized_at,
        due_date=invoice["due_date"] or (finalized_at + days * 86400 if days else None),
        customer_name=customer["name"],
        customer_email=customer["email"],
        customer_phone=customer["phone"],
        customer_address=customer["address"],
    )
    customer["next_invoice_sequence"] += 1
    invoice["status_transitions"]["finalized_at"] = finalized_at
    recompute(store, invoice)
    store.record_event(ctx, "invoice.finalized", invoice)
    if invoice["amount_due"] == 0:
        # Stripe marks an invoice with nothing to pay as paid when it is finalized.
        mark_paid(store, ctx, invoice, charge=None)


def mark_paid(
    store: Store, ctx: Ctx, invoice: dict[str, Any], charge: dict[str, Any] | None
) -> None:
    """Mark an invoice paid, by `charge` or with nothing charged, and record its events."""
    paid = invoice["amount_remaining"]
    invoice.update(
        status="paid",
        amount_paid=invoice["amount_paid"] + paid,
        amount_remaining=0,
        attempted=charge is not None or invoice["attempted"],
    )
    invoice["status_transitions"]["paid_at"] = now()
    if charge is not None:
        invoice["attempt_count"] += 1
        store.private[invoice["id"]]["charge"] = charge["id"]
    store.record_event(ctx, "invoice.paid", invoice)
    store.record_event(ctx, "invoice.payment_succeeded", invoice)


def pay_invoice(
    store: Store,
    ctx: Ctx,
    invoice: dict[str, Any],
    payment_method: str | None,
    *,
    out_of_band: bool = False,
) -> None:
    """Pay an open invoice by card or out of band, finalizing a draft first."""
    if invoice["status"] == "draft":
        finalize_invoice(store, ctx, invoice)
        if invoice["status"] == "paid":
            return
    if invoice["status"] == "paid":
        raise invalid("Invoice is already paid")
    _refuse(invoice, "pay", ("open", "uncollectible"))
    if out_of_band:
        mark_paid(store, ctx, invoice, charge=None)
        return
    customer = store.objects["customer"][invoice["customer"]]
    method = (
        payment_method
        or invoice["default_payment_method"]
        or customer["invoice_settings"]["default_payment_method"]
    )
    if method is None:
        raise invalid("This customer has no attached payment source or default payment method.")
    if method in DECLINED:
        invoice.update(attempted=True, attempt_count=invoice["attempt_count"] + 1)
        store.record_event(ctx, "invoice.payment_failed", invoice)
        raise StripeError(402, "Your card was declined.", type="card_error", code="card_declined")
    charge = build(
        "charge",
        id=new_id("ch"),
        amount=invoice["amount_remaining"],
        amount_captured=invoice["amount_remaining"],
        captured=True,
        created=now(),
        currency=invoice["currency"],
        customer=invoice["customer"],
        description=f"Payment for Invoice {invoice['number']}",
        livemode=ctx.livemode,
        metadata={},
        paid=True,
        payment_method=method,
        status="succeeded",
        refunds={"object": "list", "data": [], "has_more": False, "url": None},
    )
    store.add(charge)
    store.record_event(ctx, "charge.succeeded", charge)
    mark_paid(store, ctx, invoice, charge)


def finalize(store: Store, ctx: Ctx, params: dict[str, Any], id: str) -> dict[str, Any]:
    """Finalize a draft invoice."""
    invoice = store.get("invoice", id)
    finalize_invoice(store, ctx, invoice)
    if "auto_advance" in params:
        invoice["auto_advance"] = params["auto_advance"]
    return invoice


def send(store: Store, ctx: Ctx, params: dict[str, Any], id: str) -> dict[str, Any]:
    """Send an invoice to its customer (no e-mail leaves the emulator), finalizing a draft."""
    invoice = store.get("invoice", id)
    if invoice["collection_method"] != "send_invoice":
        raise invalid("You can only send invoices whose collection_method is send_invoice.")
    if invoice["status"] == "draft":
        finalize_invoice(store, ctx, invoice)
    _refuse(invoice, "send", ("open", "paid", "uncollectible"))
    store.record_event(ctx, "invoice.sent", invoice)
    return invoice


def pay(store: Store, ctx: Ctx, params: dict[str, Any], id: str) -> dict[str, Any]:
    """Pay an invoice now."""
    invoice = store.get("invoice", id)
    pay_invoice(
        store,
        ctx,
        invoice,
        params.get("payment_method"),
        out_of_band=params.get("paid_out_of_band", False),
    )
    return invoice


def void(store: Store, ctx: Ctx, params: dict[str, Any], id: str) -> dict[str, Any]:
    """Void a finalized invoice that is not paid."""
    invoice = store.get("invoice", id)
    _refuse(invoice, "void", ("open", "uncollectible"))
    invoice.update(status="void", amount_remaining=0)
    invoice["status_transitions"]["voided_at"] = now()
    store.record_event(ctx, "invoice.voided", invoice)
    return invoice


def mark_uncollectible(store: Store, ctx: Ctx, params: dict[str, Any], id: str) -> dict[str, Any]:
    """Mark an open invoice as uncollectible."""
    invoice = store.get("invoice", id)
    _refuse(invoice, "mark as uncollectible", ("open",))
    invoice["status"] = "uncollectible"
    invoice["status_transitions"]["marked_uncollectible_at"] = now()
    store.record_event(ctx, "invoice.marked_uncollectible", invoice)
    return invoice


ROUTES = [
    Route("POST", "/v1/invoices/<id>/finalize", FINALIZE, finalize),
    Route("POST", "/v1/invoices/<id>/send", EXPAND_ONLY, send),
    Route("POST", "/v1/invoices/<id>/pay", PAY, pay),
    Route("POST", "/v1/invoices/<id>/void", EXPAND_ONLY, void),
    Route("POST", "/v1/invoices/<id>/mark_uncollectible", EXPAND_ONLY, mark_uncollectible),
]
