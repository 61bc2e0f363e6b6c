"""Typed outbox payloads: written with their version, read back, old ones read, new refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.errors import PermanentError
from connectors.payloads import (
    SCHEMA_VERSION,
    CustomerChanged,
    CustomerInfo,
    InvoiceCancelled,
    InvoiceLine,
    InvoiceRequested,
    OrderChanged,
    OrderLinePayload,
    OrderPayload,
    OrderVersion,
    PartyRef,
    Payload,
    read_payload,
    to_json,
)

AT = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)
ADA = CustomerInfo(id=7, ref="K-000007", name="Ada", version=3, email="ada@example.com")


def _order() -> OrderPayload:
    return OrderPayload(
        ref="C-2026-000001",
        version=4,
        status="done",
        billing_status="unbilled",
        customer=PartyRef(id=7, name="Ada", ref="K-000007"),
        created_at=AT,
        updated_at=AT,
        total_cents=3900,
        vat_cents=650,
        net_cents=3250,
        lines=(
            OrderLinePayload(1, "cleaning", "Ménage", "hour", 1500, 2600, 2000, 3900, 3250, 650),
        ),
        completed_at=AT,
    )


def test_every_payload_round_trips_through_json_with_its_version() -> None:
    text = "Ménage 1,5 h \u00d7 26,00 €"
    line = InvoiceLine("C-2026-000001", 1, "cleaning", text, 3900, 2000, 650)
    cases: list[tuple[str, Payload]] = [
        ("order.done", OrderChanged(order=_order())),
        ("customer.upserted", CustomerChanged(customer=ADA)),
        (
            "invoice.requested",
            InvoiceRequested(
                invoice_id=42,
                invoice_key="hub-inv-42",
                customer=ADA,
                mode="monthly",
                collection_method="send_invoice",
                days_until_due=14,
                currency="eur",
                orders=(OrderVersion("C-2026-000001", 4),),
                lines=(line,),
                total_cents=3900,
                vat_cents=650,
                period="2026-11",
            ),
        ),
        (
            "invoice.cancelled",
            InvoiceCancelled(
                invoice_id=42,
                invoice_key="hub-inv-42",
                order=OrderVersion("C-2026-000001", 5),
                action="credit_note",
                lines=(line,),
                amount_cents=3900,
                refund_to="refund",
                stripe_invoice_id="in_1",
            ),
        ),
    ]
    for topic, payload in cases:
        data = to_json(payload)
        assert data["schema_version"] == SCHEMA_VERSION
        assert read_payload(topic, data, type(payload)) == payload


def test_an_order_written_before_payloads_had_a_version_is_still_read() -> None:
    # The untyped snapshot of earlier releases: extra keys, no schema_version.
    old = {
        "topic": "order.created",
        "order": {
            "ref": "C-2026-000009",
            "status": "new",
            "billing_status": "unbilled",
            "customer": {"id": 1, "ref": "K-000001", "name": "Bo", "email": "bo@example.com"},
            "provider": None,
            "scheduled_at": None,
            "completed_at": None,
            "notes": None,
            "currency": "eur",
            "total_cents": 1000,
            "net_cents": 833,
            "vat_cents": 167,
            "lines": [],
            "version": 1,
            "created_at": "2026-11-01T10:00:00+00:00",
            "updated_at": "2026-11-01T10:00:00+00:00",
        },
    }
    payload = read_payload("order.created", old, OrderChanged)
    assert payload.order.ref == "C-2026-000009"
    assert payload.order.invoice_number is None
    assert payload.order.created_at == datetime(2026, 11, 1, 10, tzinfo=UTC)


def test_a_newer_version_is_refused_with_a_message_that_says_what_to_do() -> None:
    data = {**to_json(CustomerChanged(customer=ADA)), "schema_version": 99}
    with pytest.raises(PermanentError, match=r"schema version 99.*Upgrade the worker"):
        read_payload("customer.upserted", data, CustomerChanged)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["customer"].pop("name"), "name is missing"),
        (lambda d: d["customer"].update(id="7"), "wrong type"),
        (lambda d: d["customer"].update(version=True), "wrong type"),
        (lambda d: d.update(customer=None), "cannot be null"),
    ],
)
def test_a_damaged_payload_is_a_permanent_error_naming_the_field(change, message) -> None:  # type: ignore[no-untyped-def]
    data = to_json(CustomerChanged(customer=ADA))
    change(data)
    with pytest.raises(PermanentError, match=message):
        read_payload("customer.upserted", data, CustomerChanged)


def test_a_literal_outside_its_values_and_a_topic_of_another_type_are_refused() -> None:
    line = InvoiceLine("C-1", 1, "x", "x", 100, 2000, 17)
    data = to_json(InvoiceCancelled(1, "hub-inv-1", OrderVersion("C-1", 2), "void", (line,), 100))
    data["action"] = "shred"
    with pytest.raises(PermanentError, match="shred"):
        read_payload("invoice.cancelled", data, InvoiceCancelled)
    with pytest.raises(PermanentError, match="does not carry"):
        read_payload("invoice.cancelled", data, InvoiceRequested)


def test_step_keys_differ_between_ledgers_whose_row_ids_coincide() -> None:
    from connectors.base import Event

    here = Event(7, "invoice.requested", "invoice", "hub-inv-1", {}, 1, AT)
    there = Event(7, "invoice.requested", "invoice", "hub-inv-1", {}, 1, AT.replace(microsecond=1))
    naive = Event(7, "invoice.requested", "invoice", "hub-inv-1", {}, 3, AT.replace(tzinfo=None))
    assert here.step_key("invoice") != there.step_key("invoice")
    assert here.step_key("invoice") == naive.step_key("invoice")
    assert len(here.step_key("lines-12")) < 255
