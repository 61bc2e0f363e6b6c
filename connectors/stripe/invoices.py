"""Issue the invoice the ledger decided: draft, lines, finalize, then send or charge.

Each POST carries its own step key (``hub-<row>-<stamp>-invoice``, ``-lines-0``, ``-finalize``,
``-send`` or ``-pay``), so a retry of a half-done delivery replays the steps already done and
goes on. Two more defences cover what keys cannot:

- a lost response can hide work from this process: when the create was replayed, the
  invoice is read again and only the lines it lacks are added (every line carries
  ``hub_line`` = ``<order ref>/<position>`` in its metadata);
- keys live 24 hours: an event older than ``KEY_MAY_HAVE_EXPIRED`` first looks its invoice up
  by ``metadata['hub_invoice_key']`` before creating anything.

Stripe keeps at most 250 lines on an invoice: the ledger splits larger ones, and a larger
request is refused before any call. The lines go in with the bulk ``add_lines``, so a monthly
invoice of 40 orders costs create, add_lines, finalize and send, as a per-order one does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import stripe

from connectors.base import Event
from connectors.errors import PermanentError
from connectors.facts import CustomerLinked, Fact, InvoiceIssued
from connectors.payloads import InvoiceLine, InvoiceRequested, OrderVersion
from connectors.stripe.customers import CustomerBook
from connectors.stripe.errors import already_done, is_missing, is_refusal
from connectors.stripe.metadata import joined_within, metadata_of
from connectors.stripe.tax_rates import TaxRates

#: Stripe's limit of line items on one invoice (changelog 2016-02-22).
MAX_LINES = 250
#: Idempotency keys last 24 hours; past this age a delivery looks before it creates.
KEY_MAY_HAVE_EXPIRED = timedelta(hours=23)


def versions_text(orders: Iterable[OrderVersion]) -> str:
    """Return ``ref:version`` pairs, comma separated, as invoice metadata keeps them."""
    return joined_within([f"{order.ref}:{order.version}" for order in orders])


def order_versions(invoice: stripe.Invoice) -> dict[str, int]:
    """Read back the ``hub_order_versions`` metadata of an invoice."""
    found: dict[str, int] = {}
    for pair in metadata_of(invoice).get("hub_order_versions", "").split(","):
        ref, _, version = pair.rpartition(":")
        if ref and version.isdigit():
            found[ref] = int(version)
    return found


def invoice_metadata(request: InvoiceRequested) -> dict[str, str]:
    refs = list(dict.fromkeys(order.ref for order in request.orders))
    metadata = {
        "hub_invoice_key": request.invoice_key,
        "hub_invoice_id": str(request.invoice_id),
        "hub_order_refs": joined_within(refs),
        "hub_order_versions": versions_text(request.orders),
    }
    if request.period:
        metadata["hub_period"] = request.period
    return metadata


def line_key(order_ref: str, position: int) -> str:
    """Name a hub line in Stripe's line metadata, so a retry can tell it is there."""
    return f"{order_ref}/{position}"


def tax_cents(invoice: stripe.Invoice) -> int:
    return sum(tax.amount for tax in invoice.total_taxes or [])


def issued_fact(invoice_id: int, invoice: stripe.Invoice) -> InvoiceIssued:
    """Return what the ledger keeps of a Stripe invoice."""
    paid_at = invoice.status_transitions.paid_at if invoice.status_transitions else None
    return InvoiceIssued(
        invoice_id=invoice_id,
        stripe_invoice_id=invoice.id or "",
        status=invoice.status or "draft",
        total_cents=invoice.total,
        tax_cents=tax_cents(invoice),
        number=invoice.number,
        hosted_url=invoice.hosted_invoice_url,
        pdf_url=invoice.invoice_pdf,
        paid_at=datetime.fromtimestamp(paid_at, UTC) if paid_at else None,
    )


def replayed(obj: stripe.StripeObject) -> bool:
    """Tell whether Stripe answered from its idempotency cache (the step was done before)."""
    response = obj.last_response
    return response is not None and response.headers.get("Idempotent-Replayed") == "true"


def all_lines(client: stripe.StripeClient, invoice: stripe.Invoice) -> list[stripe.InvoiceLineItem]:
    """Return every line of an invoice: the embedded first page, or all pages when more."""
    embedded = invoice.lines
    if embedded is not None and not embedded.has_more:
        return list(embedded.data)
    assert invoice.id is not None
    page = client.v1.invoices.line_items.list(invoice.id, {"limit": 100})
    return list(page.auto_paging_iter())


class InvoiceIssuer:
    """Turn ``invoice.requested`` events into issued Stripe invoices."""

    def __init__(
        self,
        client: stripe.StripeClient,
        customers: CustomerBook,
        tax_rates: TaxRates,
        *,
        lines_per_call: int = MAX_LINES,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if not 1 <= lines_per_call <= MAX_LINES:
            raise ValueError(f"lines_per_call is between 1 and {MAX_LINES}")
        self.client = client
        self.customers = customers
        self.tax_rates = tax_rates
        self.lines_per_call = lines_per_call
        self.now = now

    def issue(self, event: Event, request: InvoiceRequested) -> list[Fact]:
        """Issue the invoice and return its facts (and the customer's Stripe id)."""
        if not request.lines or len(request.lines) > MAX_LINES:
            raise PermanentError(
                f"Invoice {request.invoice_key} has {len(request.lines)} lines; a Stripe "
                f"invoice holds 1 to {MAX_LINES}. The ledger must split it; nothing was sent."
            )
        rate_ids = self.tax_rates.ids_for({line.vat_bp for line in request.lines})
        invoice, customer_id = self._draft(event, request)
        if invoice.status == "draft":
            invoice = self._add_lines(event, request, invoice, rate_ids)
            self._check_totals(request, invoice)
            invoice = self.finalize(event, invoice)
        invoice = self.collect(event, request, invoice)
        return [
            CustomerLinked(customer_id=request.customer.id, stripe_customer_id=customer_id),
            issued_fact(request.invoice_id, invoice),
        ]

    def _draft(self, event: Event, request: InvoiceRequested) -> tuple[stripe.Invoice, str]:
        """Return the draft (or the invoice already made for this request) and its customer."""
        customer_id = self.customers.ensure(request.customer, event)
        if self.now() - event.created_at > KEY_MAY_HAVE_EXPIRED:
            found = self.find(request.invoice_key, customer_id)
            if found is not None:
                return found, found.customer if isinstance(found.customer, str) else customer_id
        try:
            invoice = self._create(event, request, customer_id, "invoice")
        except stripe.InvalidRequestError as exc:
            if not is_missing(exc, "customer"):
                raise
            # The customer was deleted in Stripe: find or create it again, then the invoice.
            self.customers.forget(request.customer.id)
            customer_id = self.customers.ensure(request.customer, event, trust_known=False)
            invoice = self._create(event, request, customer_id, "invoice-again")
        if replayed(invoice):
            # Made by an earlier attempt: read what it became since.
            assert invoice.id is not None
            invoice = self.client.v1.invoices.retrieve(invoice.id)
        return invoice, customer_id

    def _create(
        self, event: Event, request: InvoiceRequested, customer_id: str, step: str
    ) -> stripe.Invoice:
        params: dict[str, Any] = {
            "customer": customer_id,
            "auto_advance": False,
            "collection_method": request.collection_method,
            "currency": request.currency,
            "metadata": invoice_metadata(request),
        }
        if request.collection_method == "send_invoice":
            params["days_until_due"] = request.days_until_due
        return self.client.v1.invoices.create(
            cast("stripe.params.InvoiceCreateParams", params),
            {"idempotency_key": event.step_key(step)},
        )

    def find(self, invoice_key: str, customer_id: str | None = None) -> stripe.Invoice | None:
        """Return the invoice carrying ``hub_invoice_key``: by search, then by listing."""
        found = self.client.v1.invoices.search(
            {"query": f"metadata['hub_invoice_key']:'{invoice_key}'", "limit": 10}
        )
        matches = sorted(found.data, key=lambda invoice: invoice.created)
        if not matches and customer_id is not None:
            # Search lags behind writes; the customer's list does not.
            page = self.client.v1.invoices.list({"customer": customer_id, "limit": 100})
            matches = [
                invoice
                for invoice in page.auto_paging_iter()
                if metadata_of(invoice).get("hub_invoice_key") == invoice_key
            ][::-1]
        return matches[0] if matches else None

    def _add_lines(
        self,
        event: Event,
        request: InvoiceRequested,
        invoice: stripe.Invoice,
        rate_ids: dict[int, str],
    ) -> stripe.Invoice:
        assert invoice.id is not None
        present = {metadata_of(line).get("hub_line") for line in all_lines(self.client, invoice)}
        size = self.lines_per_call
        for index, start in enumerate(range(0, len(request.lines), size)):
            chunk = request.lines[start : start + size]
            missing = [
                line for line in chunk if line_key(line.order_ref, line.position) not in present
            ]
            if not missing:
                continue
            # A chunk's key always names the same lines; a chunk found half there (edited by
            # hand) gets the rest under a key of its own.
            step = f"lines-{index}" if len(missing) == len(chunk) else f"lines-{index}-rest"
            invoice = self.client.v1.invoices.add_lines(
                invoice.id,
                {"lines": [self._line(line, rate_ids) for line in missing]},
                {"idempotency_key": event.step_key(step)},
            )
        return invoice

    @staticmethod
    def _line(
        line: InvoiceLine, rate_ids: dict[int, str]
    ) -> stripe.params.InvoiceAddLinesParamsLine:
        # Stripe quantities are whole numbers: one unit at the hub's amount, VAT included,
        # and the description says what was done ("Ménage 1,5 h x 26,00 €").
        return {
            "amount": line.amount_cents,
            "description": line.description,
            "tax_rates": [rate_ids[line.vat_bp]],
            "metadata": {
                "hub_order_ref": line.order_ref,
                "hub_line": line_key(line.order_ref, line.position),
            },
        }

    @staticmethod
    def _check_totals(request: InvoiceRequested, invoice: stripe.Invoice) -> None:
        """Refuse to finalize an invoice whose totals differ from the ledger's."""
        if invoice.total != request.total_cents or tax_cents(invoice) != request.vat_cents:
            raise PermanentError(
                f"Stripe totals draft invoice {invoice.id} at {invoice.total} cents with "
                f"{tax_cents(invoice)} of VAT; the hub's invoice {request.invoice_key} says "
                f"{request.total_cents} and {request.vat_cents}. The draft was left "
                "unfinalized; check the VAT rates in Stripe and the invoice lines."
            )

    def finalize(self, event: Event, invoice: stripe.Invoice) -> stripe.Invoice:
        """Finalize the draft (an invoice found finalized already counts as done)."""
        assert invoice.id is not None
        try:
            return self.client.v1.invoices.finalize_invoice(
                invoice.id,
                {"auto_advance": False},
                {"idempotency_key": event.step_key("finalize")},
            )
        except stripe.InvalidRequestError as exc:
            return self._if_already(exc, "finalize", invoice.id)

    def collect(
        self, event: Event, request: InvoiceRequested, invoice: stripe.Invoice
    ) -> stripe.Invoice:
        """Send the invoice (Stripe e-mails a payment link), or charge the saved method."""
        if invoice.status != "open":
            return invoice
        assert invoice.id is not None
        if request.collection_method == "send_invoice":
            return self.client.v1.invoices.send_invoice(
                invoice.id, options={"idempotency_key": event.step_key("send")}
            )
        try:
            return self.client.v1.invoices.pay(
                invoice.id, options={"idempotency_key": event.step_key("pay")}
            )
        except stripe.CardError:
            # Declined: the invoice is issued and stays open; invoice.payment_failed tells
            # the ledger, and Stripe's dunning takes over.
            return invoice
        except stripe.InvalidRequestError as exc:
            if not is_refusal(exc):
                raise
            current = self.client.v1.invoices.retrieve(invoice.id)
            if already_done("pay", current.status) or current.status == "open":
                # Paid already, or refused because the customer has no saved payment method:
                # either way the invoice is issued; an open one keeps its payment page, which
                # the order page links, and its payment news comes back by webhook.
                return current
            raise

    def _if_already(
        self, exc: stripe.InvalidRequestError, action: str, invoice_id: str
    ) -> stripe.Invoice:
        """Return the invoice when Stripe's refusal means ``action`` was done; else re-raise."""
        if is_refusal(exc):
            current = self.client.v1.invoices.retrieve(invoice_id)
            if already_done(action, current.status):
                return current
        raise exc
