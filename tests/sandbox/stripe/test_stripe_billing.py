"""Billing through the emulator with the real stripe library: totals, taxes, statuses, notes."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import stripe
from stripe.params import InvoiceAddLinesParamsLine, InvoiceCreateParams

from sandbox.stripe import StripeEmulator


def _vat_rates(client: stripe.StripeClient) -> tuple[str, str]:
    rates = [
        client.v1.tax_rates.create(
            {
                "display_name": f"TVA {pct} %",
                "percentage": pct,
                "inclusive": True,
                "country": "FR",
                "tax_type": "vat",
                "metadata": {"hub_vat_bp": str(pct * 100)},
            }
        )
        for pct in (20, 10)
    ]
    return rates[0].id, rates[1].id


def _draft(client: stripe.StripeClient) -> tuple[str, stripe.Invoice]:
    customer = client.v1.customers.create(
        {"name": "Ada Lovelace", "email": "ada@example.fr", "metadata": {"hub_customer_id": "12"}}
    )
    params: InvoiceCreateParams = {
        "customer": customer.id,
        "auto_advance": False,
        "collection_method": "send_invoice",
        "days_until_due": 30,
        "metadata": {"hub_invoice_key": "hub-1-invoice"},
    }
    invoice = client.v1.invoices.create(params)
    return customer.id, invoice


def _line(
    description: str, unit_cents: int, rate: str, quantity: int = 1
) -> InvoiceAddLinesParamsLine:
    return {
        "description": description,
        "price_data": {
            "currency": "eur",
            "product_data": {"name": description},
            "unit_amount": unit_cents,
        },
        "quantity": quantity,
        "tax_rates": [rate],
        "metadata": {"hub_order_ref": "C-0001"},
    }


def test_an_invoice_with_both_vat_rates_totals_to_the_cent_and_gets_paid(
    client: stripe.StripeClient,
) -> None:
    vat20, vat10 = _vat_rates(client)
    _customer, draft = _draft(client)
    assert draft.status == "draft" and draft.auto_advance is False
    invoice = client.v1.invoices.add_lines(
        draft.id,
        {
            "lines": [
                # 1,5 h at 26,00 € reads on the line and is billed as one unit of 39,00 €.
                _line("Ménage 1,5 h × 26,00 €", 3900, vat20),  # noqa: RUF001 - as printed
                _line("Courses", 4500, vat10),
                _line("Repassage", 1234, vat20, quantity=3),
            ]
        },
    )
    # Inclusive tax per line, rounded half up: 3900*20/120 = 650; 4500*10/110 = 409.09 -> 409;
    # 3702*20/120 = 617.
    assert invoice.total == 3900 + 4500 + 3702
    assert invoice.subtotal == invoice.total
    assert sum(t.amount for t in invoice.total_taxes or []) == 650 + 409 + 617
    assert invoice.total_excluding_tax == invoice.total - 1676
    by_rate = {t.tax_rate_details.tax_rate: t.amount for t in invoice.total_taxes or []}  # type: ignore[union-attr]
    assert by_rate == {vat20: 650 + 617, vat10: 409}
    assert [line.quantity for line in invoice.lines.data] == [1, 1, 3]
    assert invoice.lines.data[0].metadata.to_dict() == {"hub_order_ref": "C-0001"}

    finalized = client.v1.invoices.finalize_invoice(invoice.id)
    assert finalized.status == "open"
    assert finalized.number and finalized.number.endswith("-0001")
    assert finalized.hosted_invoice_url and finalized.invoice_pdf
    assert finalized.due_date is not None
    assert finalized.amount_due == 12102

    sent = client.v1.invoices.send_invoice(invoice.id)
    assert sent.status == "open"
    paid = client.v1.invoices.pay(invoice.id, {"payment_method": "pm_card_visa"})
    assert (paid.status, paid.amount_paid, paid.amount_remaining) == ("paid", 12102, 0)
    types = [e.type for e in client.v1.events.list({"type": "invoice.*", "limit": 100}).data]
    assert {"invoice.created", "invoice.finalized", "invoice.sent", "invoice.paid"} <= set(types)


def test_a_declined_card_records_payment_failed_and_leaves_the_invoice_open(
    client: stripe.StripeClient,
) -> None:
    vat20, _ = _vat_rates(client)
    _customer, draft = _draft(client)
    client.v1.invoices.add_lines(draft.id, {"lines": [_line("Ménage", 2600, vat20)]})
    client.v1.invoices.finalize_invoice(draft.id)
    with pytest.raises(stripe.CardError) as declined:
        client.v1.invoices.pay(draft.id, {"payment_method": "pm_card_chargeDeclined"})
    assert declined.value.code == "card_declined" and declined.value.http_status == 402
    assert client.v1.invoices.retrieve(draft.id).status == "open"
    assert client.v1.events.list({"type": "invoice.payment_failed"}).data


def test_the_hosted_page_pays_the_invoice(
    client: stripe.StripeClient, emulator: StripeEmulator
) -> None:
    vat20, _ = _vat_rates(client)
    _customer, draft = _draft(client)
    client.v1.invoices.add_lines(draft.id, {"lines": [_line("Ménage", 2600, vat20)]})
    url = client.v1.invoices.finalize_invoice(draft.id).hosted_invoice_url
    assert url is not None and url.startswith(emulator.base_url)
    page = requests.get(url, timeout=5)
    assert "Pay 26.00 EUR" in page.text
    requests.post(url, timeout=5).raise_for_status()
    assert client.v1.invoices.retrieve(draft.id).status == "paid"
    assert client.v1.events.list({"type": "invoice.paid"}).data[0].data.object["id"] == draft.id


def test_void_and_uncollectible_follow_stripes_status_rules(client: stripe.StripeClient) -> None:
    vat20, _ = _vat_rates(client)
    customer, first = _draft(client)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.void_invoice(first.id)  # a draft is deleted, never voided
    client.v1.invoices.add_lines(first.id, {"lines": [_line("Ménage", 2600, vat20)]})
    client.v1.invoices.finalize_invoice(first.id)
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.invoices.finalize_invoice(first.id)
    assert again.value.code == "invoice_not_editable"
    assert client.v1.invoices.void_invoice(first.id).status == "void"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.pay(first.id, {"paid_out_of_band": True})

    second = client.v1.invoices.create({"customer": customer})
    client.v1.invoices.add_lines(second.id, {"lines": [_line("Ménage", 2600, vat20)]})
    client.v1.invoices.finalize_invoice(second.id)
    assert client.v1.invoices.mark_uncollectible(second.id).status == "uncollectible"
    types = {e.type for e in client.v1.events.list({"limit": 100}).data}
    assert {"invoice.voided", "invoice.marked_uncollectible"} <= types


def test_credit_notes_credit_a_line_with_its_tax_and_refund_a_paid_invoice(
    client: stripe.StripeClient,
) -> None:
    vat20, vat10 = _vat_rates(client)
    _customer, draft = _draft(client)
    invoice = client.v1.invoices.add_lines(
        draft.id, {"lines": [_line("Ménage", 3900, vat20), _line("Courses", 4500, vat10)]}
    )
    client.v1.invoices.finalize_invoice(invoice.id)
    first_line = invoice.lines.data[0]
    note = client.v1.credit_notes.create(
        {
            "invoice": invoice.id,
            "lines": [{"type": "invoice_line_item", "invoice_line_item": first_line.id}],
            "metadata": {"hub_order_ref": "C-0001"},
        }
    )
    assert (note.type, note.amount) == ("pre_payment", 3900)
    assert sum(t.amount for t in note.total_taxes or []) == 650
    assert client.v1.invoices.retrieve(invoice.id).amount_due == 4500

    paid = client.v1.invoices.pay(invoice.id, {"payment_method": "pm_card_visa"})
    assert paid.amount_paid == 4500
    refund = client.v1.credit_notes.create(
        {"invoice": invoice.id, "amount": 4500, "refund_amount": 4500}
    )
    assert refund.type == "post_payment"
    assert client.v1.events.list({"type": "charge.refunded"}).data
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.credit_notes.create({"invoice": invoice.id, "amount": 1})
    notes = client.v1.credit_notes.list({"invoice": invoice.id})
    assert {n.id for n in notes.data} == {note.id, refund.id}
    assert client.v1.credit_notes.retrieve(note.id).number == note.number
    assert client.v1.events.list({"type": "credit_note.created"}).data


def test_an_invoice_takes_at_most_250_lines_and_pages_them(client: stripe.StripeClient) -> None:
    _customer, draft = _draft(client)
    lines: list[InvoiceAddLinesParamsLine] = [
        {"amount": 100, "description": f"line {n}"} for n in range(200)
    ]
    invoice = client.v1.invoices.add_lines(draft.id, {"lines": lines})
    assert invoice.total == 20000
    assert len(invoice.lines.data) == 10 and invoice.lines.has_more
    every = list(client.v1.invoices.line_items.list(draft.id, {"limit": 100}).auto_paging_iter())
    assert [line.description for line in every] == [f"line {n}" for n in range(200)]
    with pytest.raises(stripe.InvalidRequestError) as too_many:
        client.v1.invoices.add_lines(draft.id, {"lines": lines[:51]})
    assert too_many.value.param == "lines"
    assert client.v1.invoices.retrieve(draft.id).total == 20000


def test_invoices_are_listed_by_filters_and_found_by_metadata(
    client: stripe.StripeClient,
) -> None:
    customer, first = _draft(client)
    second = client.v1.invoices.create(
        {"customer": customer, "metadata": {"hub_invoice_key": "hub-2-invoice"}}
    )
    client.v1.invoices.add_lines(second.id, {"lines": [{"amount": 500}]})
    client.v1.invoices.finalize_invoice(second.id)
    drafts = client.v1.invoices.list({"customer": customer, "status": "draft"})
    assert [i.id for i in drafts.data] == [first.id]
    newest = client.v1.invoices.list({"customer": customer, "created": {"gte": first.created}})
    assert [i.id for i in newest.data] == [second.id, first.id]
    found = client.v1.invoices.search({"query": "metadata['hub_invoice_key']:'hub-2-invoice'"})
    assert [i.id for i in found.data] == [second.id]
    both = client.v1.invoices.search({"query": f"customer:'{customer}' AND status:'open'"})
    assert [i.id for i in both.data] == [second.id]


def test_customers_are_found_by_metadata_and_follow_updates(
    client: stripe.StripeClient,
) -> None:
    ada = client.v1.customers.create({"name": "Ada", "metadata": {"hub_customer_id": "12"}})
    client.v1.customers.create({"name": "Bob", "metadata": {"hub_customer_id": "13"}})
    found = client.v1.customers.search({"query": "metadata['hub_customer_id']:'12'"})
    assert [c.id for c in found.data] == [ada.id]
    updated = client.v1.customers.update(
        ada.id, {"email": "ada@example.fr", "address": {"city": "Lyon", "country": "FR"}}
    )
    assert updated.email == "ada@example.fr" and updated.address.city == "Lyon"  # type: ignore[union-attr]
    event = client.v1.events.list({"type": "customer.updated"}).data[0]
    assert event.data.previous_attributes is not None
    assert event.data.previous_attributes["email"] is None
    assert client.v1.customers.delete(ada.id).deleted is True
    with pytest.raises(stripe.InvalidRequestError) as gone:
        client.v1.invoices.create({"customer": ada.id})
    assert gone.value.code == "resource_missing"


def test_search_lags_behind_writes_when_asked(clients: Any) -> None:
    lagging = StripeEmulator(search_delay_seconds=60).start()
    try:
        client = stripe.StripeClient(
            lagging.api_key,
            base_addresses={"api": lagging.base_url},
            http_client=(http := stripe.RequestsClient(timeout=5)),
        )
        client.v1.customers.create({"metadata": {"hub_customer_id": "12"}})
        assert client.v1.customers.search({"query": "metadata['hub_customer_id']:'12'"}).data == []
        assert len(client.v1.customers.list().data) == 1
        http.close()  # type: ignore[no-untyped-call]
    finally:
        lagging.stop()
