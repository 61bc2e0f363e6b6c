"""Reverse an order's part of an invoice after it was cancelled: void, or credit note.

``void`` voids an open invoice that bills this order alone; ``credit_note`` credits the
order's lines (the invoice's line items whose metadata names the order, or the ledger's
line amounts when none do), refunded to the card or credited to the customer's balance, as
the ledger says, once the invoice is paid. An invoice found paid when the ledger asked for a
void (the payment's webhook not yet applied) is credited instead: the order is reversed
either way, and the fact says how.

Stale copies: every credit note carries ``hub_order_ref`` and ``hub_order_version``, and the
invoice ``hub_order_versions``; a delivery whose order version is older than what Stripe
holds changes nothing and returns ``Superseded``. A credit note already made for the order
(its key expired, or its response lost) is found on the invoice's list, never made twice.
"""

from __future__ import annotations

from typing import Any, cast

import stripe

from connectors.base import Event
from connectors.errors import PermanentError, TransientError
from connectors.facts import Fact, InvoiceReversed, Superseded
from connectors.payloads import InvoiceCancelled
from connectors.stripe.errors import already_done, is_refusal
from connectors.stripe.invoices import InvoiceIssuer, all_lines, order_versions
from connectors.stripe.metadata import metadata_of, version_in
from connectors.stripe.tax_rates import TaxRates


class Reversals:
    """Turn ``invoice.cancelled`` events into voided invoices or credit notes."""

    def __init__(
        self, client: stripe.StripeClient, issuer: InvoiceIssuer, tax_rates: TaxRates
    ) -> None:
        self.client = client
        self.issuer = issuer
        self.tax_rates = tax_rates

    def reverse(self, event: Event, request: InvoiceCancelled) -> list[Fact]:
        """Void or credit the order's part of the invoice, and say which."""
        invoice = self._invoice(request)
        newer = order_versions(invoice).get(request.order.ref, 0)
        if newer > request.order.version:
            return [self._superseded(request, newer)]
        if invoice.status == "void":
            return [self._reversed(request, "void")]
        if invoice.status == "draft":
            raise TransientError(
                f"Invoice {request.invoice_key} is still a draft in Stripe; it is reversed "
                "once its issuing has finished."
            )
        if request.action == "void" and invoice.status in ("open", "uncollectible"):
            return self.void(event, request, invoice)
        return self._credit(event, request, invoice)

    def _invoice(self, request: InvoiceCancelled) -> stripe.Invoice:
        if request.stripe_invoice_id:
            return self.client.v1.invoices.retrieve(request.stripe_invoice_id)
        found = self.issuer.find(request.invoice_key)
        if found is None:
            raise TransientError(
                f"No Stripe invoice carries hub_invoice_key {request.invoice_key} yet "
                "(Stripe's search lags a little behind); trying again later."
            )
        return found

    def void(self, event: Event, request: InvoiceCancelled, invoice: stripe.Invoice) -> list[Fact]:
        assert invoice.id is not None
        try:
            self.client.v1.invoices.void_invoice(
                invoice.id, options={"idempotency_key": event.step_key("void")}
            )
        except stripe.InvalidRequestError as exc:
            if not is_refusal(exc):
                raise
            current = self.client.v1.invoices.retrieve(invoice.id)
            if not already_done("void", current.status):
                if current.status == "paid":
                    # Paid meanwhile: the order is reversed by a credit note instead.
                    return self._credit(event, request, current)
                raise
        return [self._reversed(request, "void")]

    def _credit(
        self, event: Event, request: InvoiceCancelled, invoice: stripe.Invoice
    ) -> list[Fact]:
        assert invoice.id is not None
        if invoice.status not in ("open", "paid"):
            raise PermanentError(
                f"Stripe invoice {invoice.number or invoice.id} is {invoice.status}: Stripe "
                f"credits only open or paid invoices, so order {request.order.ref} cannot be "
                "credited there. Settle it in Stripe's dashboard, then mark the dead letter done."
            )
        notes = self.client.v1.credit_notes.list({"invoice": invoice.id, "limit": 100})
        for note in notes.auto_paging_iter():
            if metadata_of(note).get("hub_order_ref") != request.order.ref:
                continue
            if version_in(note, "hub_order_version") > request.order.version:
                return [self._superseded(request, version_in(note, "hub_order_version"))]
            # Already credited (a lost response, or a key expired): never twice.
            return [self._reversed(request, "credited", note)]
        lines = self._note_lines(request, invoice)
        total = sum(int(line.get("amount", line.get("unit_amount", 0))) for line in lines)
        params: dict[str, Any] = {
            "invoice": invoice.id,
            "lines": lines,
            "reason": "order_change",
            "metadata": {
                "hub_invoice_key": request.invoice_key,
                "hub_order_ref": request.order.ref,
                "hub_order_version": str(request.order.version),
            },
        }
        if invoice.status == "paid":
            split = "refund_amount" if request.refund_to == "refund" else "credit_amount"
            params[split] = total
        note = self.client.v1.credit_notes.create(
            cast("stripe.params.CreditNoteCreateParams", params),
            {"idempotency_key": event.step_key("credit")},
        )
        return [self._reversed(request, "credited", note)]

    def _note_lines(
        self, request: InvoiceCancelled, invoice: stripe.Invoice
    ) -> list[dict[str, Any]]:
        """Return the credit note's lines: the order's invoice lines, or the ledger's."""
        mine = [
            line
            for line in all_lines(self.client, invoice)
            if metadata_of(line).get("hub_order_ref") == request.order.ref
        ]
        if mine:
            return [
                {"type": "invoice_line_item", "invoice_line_item": line.id, "amount": line.amount}
                for line in mine
            ]
        if not request.lines:
            raise PermanentError(
                f"Invoice {request.invoice_key} has no line of order {request.order.ref} in "
                "Stripe and the ledger sent none to credit; nothing was credited."
            )
        rate_ids = self.tax_rates.ids_for({line.vat_bp for line in request.lines})
        return [
            {
                "type": "custom_line_item",
                "description": line.description,
                "quantity": 1,
                "unit_amount": line.amount_cents,
                "tax_rates": [rate_ids[line.vat_bp]],
            }
            for line in request.lines
        ]

    @staticmethod
    def _reversed(
        request: InvoiceCancelled, outcome: str, note: stripe.CreditNote | None = None
    ) -> InvoiceReversed:
        return InvoiceReversed(
            invoice_id=request.invoice_id,
            order_ref=request.order.ref,
            outcome=outcome,
            credit_note_id=note.id if note is not None else None,
            amount_cents=note.total if note is not None else request.amount_cents,
        )

    @staticmethod
    def _superseded(request: InvoiceCancelled, newer: int) -> Superseded:
        return Superseded(
            request.order.ref, delivered_version=request.order.version, newer_version=newer
        )
