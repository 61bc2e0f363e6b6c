"""Serve the sandbox's hosted invoice page (`/pay/<invoice>`) and a plain-text "PDF".

Paying on the page pays the invoice by test card, which records `invoice.paid` and sends it
to the webhook endpoints, as paying on Stripe's hosted invoice page does.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, request

from .errors import StripeError
from .invoice_states import pay_invoice
from .store import Ctx, new_id

if TYPE_CHECKING:
    from .server import StripeEmulator

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Invoice {number}</title>
<style>body{{font-family:sans-serif;max-width:40em;margin:2em auto}}
td,th{{padding:.2em .6em;text-align:left}} .n{{text-align:right}}
.banner{{background:#fd0;padding:.4em}}</style></head>
<body><p class="banner">Stripe sandbox: no real payment is made.</p>
<h1>Invoice {number}</h1><p>{customer}</p>
<table><tr><th>Description</th><th>Qty</th><th class="n">Amount</th></tr>{rows}</table>
<p>Tax: {tax} &middot; <strong>Total: {total}</strong>
&middot; Status: <b id="status">{status}</b></p>
{action}</body></html>"""


def _money(cents: int, currency: str) -> str:
    return f"{cents / 100:.2f} {currency.upper()}"


def _render(invoice: dict[str, Any], lines: list[dict[str, Any]], message: str = "") -> str:
    rows = "".join(
        f"<tr><td>{escape(line['description'] or '')}</td><td>{line['quantity_decimal']}</td>"
        f"<td class='n'>{_money(line['amount'], line['currency'])}</td></tr>"
        for line in lines
    )
    tax = sum(t["amount"] for t in invoice["total_taxes"] or [])
    if invoice["status"] == "open":
        action = (
            f"<form method='post'><button type='submit'>Pay "
            f"{_money(invoice['amount_remaining'], invoice['currency'])}</button></form>"
        )
    else:
        action = f"<p>{escape(message) or 'Nothing to pay.'}</p>"
    return _PAGE.format(
        number=escape(invoice["number"] or invoice["id"]),
        customer=escape(invoice["customer_name"] or ""),
        rows=rows,
        tax=_money(tax, invoice["currency"]),
        total=_money(invoice["total"], invoice["currency"]),
        status=escape(invoice["status"]),
        action=action,
    )


def register(app: Flask, emulator: StripeEmulator) -> None:
    """Add the hosted invoice page and the PDF routes to the emulator's app."""

    def find(invoice_id: str) -> dict[str, Any] | None:
        return emulator.store.objects["invoice"].get(invoice_id)

    @app.get("/pay/<invoice_id>")
    def show(invoice_id: str) -> Response:
        invoice = find(invoice_id)
        if invoice is None or invoice["status"] == "draft":
            return Response("No such invoice.", status=404)
        return Response(_render(invoice, emulator.store.lines[invoice_id]))

    @app.post("/pay/<invoice_id>")
    def pay(invoice_id: str) -> Response:
        invoice = find(invoice_id)
        if invoice is None or invoice["status"] == "draft":
            return Response("No such invoice.", status=404)
        ctx = Ctx(new_id("req"), None, request.host_url.rstrip("/"), False)
        message = "Paid. Thank you!"
        with emulator.store.lock:
            try:
                pay_invoice(emulator.store, ctx, invoice, "pm_card_visa")
            except StripeError as error:
                message = error.message
        return Response(_render(invoice, emulator.store.lines[invoice_id], message))

    @app.get("/pdf/<object_id>")
    def pdf(object_id: str) -> Response:
        invoice = find(object_id)
        note = emulator.store.objects["credit_note"].get(object_id)
        if invoice is None and note is None:
            return Response("No such document.", status=404)
        obj = invoice or note
        assert obj is not None
        lines = emulator.store.lines.get(object_id) or emulator.store.private.get(
            object_id, {}
        ).get("lines", [])
        text = [f"{obj['object']} {obj['number']}"]
        text += [
            f"{line['description']}  x{line.get('quantity_decimal') or line['quantity']}"
            f"  {_money(line['amount'], obj['currency'])}"
            for line in lines
        ]
        text.append(f"Total {_money(obj['total'], obj['currency'])}")
        return Response("\n".join(text) + "\n", content_type="text/plain; charset=utf-8")
