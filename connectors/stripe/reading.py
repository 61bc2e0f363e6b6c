"""Read what Stripe holds for the hub: invoices, credit notes and events carrying hub metadata.

Reconciliation compares these with the ledger; the webhook applier reads the objects events
carry with the same parsers, so both paths see one shape. Everything out is plain frozen
data: the ledger never handles a ``stripe`` object.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import stripe

#: Stripe keeps events listable for 30 days; reconciliation looks no further back by default.
EVENTS_KEPT_DAYS = 30
#: The largest page Stripe lists.
PAGE_SIZE = 100

INVOICE_KEY = "hub_invoice_key"
ORDER_REF = "hub_order_ref"
ORDER_REFS = "hub_order_refs"
CUSTOMER_ID = "hub_customer_id"


@dataclass(frozen=True)
class StripeInvoice:
    """A Stripe invoice as the ledger needs it: ids, status, money, links, and hub metadata.

    ``paid_by`` says how a paid invoice was settled: ``card`` (a charge was attempted and
    succeeded), ``credit`` (nothing was charged: a credit note or the balance covered it) or
    ``out_of_band``; None while unpaid.
    """

    id: str
    status: str
    livemode: bool
    created: datetime
    customer: str | None
    currency: str
    total_cents: int
    tax_cents: int
    amount_paid_cents: int
    invoice_key: str | None
    order_refs: tuple[str, ...] = ()
    number: str | None = None
    hosted_url: str | None = None
    pdf_url: str | None = None
    paid_at: datetime | None = None
    paid_by: str | None = None


@dataclass(frozen=True)
class StripeCreditNote:
    """A Stripe credit note: which invoice, how much, and the order it reverses if it says."""

    id: str
    invoice: str | None
    status: str
    amount_cents: int
    created: datetime
    order_ref: str | None
    invoice_key: str | None
    number: str | None = None


@dataclass(frozen=True)
class StripeCustomer:
    """A Stripe customer named by its hub id in metadata (None when it has none)."""

    id: str
    hub_customer_id: int | None
    deleted: bool = False


@dataclass(frozen=True)
class StripeSnapshot:
    """What Stripe held since a date: hub invoices, credit notes, and the raw events."""

    since: datetime
    invoices: tuple[StripeInvoice, ...]
    credit_notes: tuple[StripeCreditNote, ...]
    events: tuple[Mapping[str, Any], ...]


def _moment(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return datetime.fromtimestamp(value, UTC)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _cents(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _metadata(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    found = obj.get("metadata")
    return found if isinstance(found, Mapping) else {}


def _id_of(value: Any) -> str | None:
    """Return an id whether Stripe sent the id or the expanded object."""
    if isinstance(value, Mapping):
        return _text(value.get("id"))
    return _text(value)


def _order_refs(invoice: Mapping[str, Any]) -> tuple[str, ...]:
    """Collect the order references an invoice names: its metadata and its lines' metadata."""
    meta = _metadata(invoice)
    refs: list[str] = []
    for key in (ORDER_REF, ORDER_REFS):
        text = _text(meta.get(key))
        if text:
            refs.extend(part.strip() for part in text.split(",") if part.strip())
    lines = invoice.get("lines")
    for line in lines.get("data", []) if isinstance(lines, Mapping) else []:
        ref = _text(_metadata(line).get(ORDER_REF)) if isinstance(line, Mapping) else None
        if ref:
            refs.append(ref)
    return tuple(dict.fromkeys(refs))


def _tax(invoice: Mapping[str, Any]) -> int:
    taxes = invoice.get("total_taxes")
    if isinstance(taxes, list):
        return sum(_cents(t.get("amount")) for t in taxes if isinstance(t, Mapping))
    return 0


def _paid_by(invoice: Mapping[str, Any]) -> str | None:
    if invoice.get("status") != "paid":
        return None
    if invoice.get("paid_out_of_band"):
        return "out_of_band"
    if _cents(invoice.get("amount_paid")) == 0:
        return "credit"
    return "card" if invoice.get("attempted") else "out_of_band"


def invoice_from_stripe(obj: Mapping[str, Any]) -> StripeInvoice:
    """Read a Stripe invoice (a listed one, or the object an event carries)."""
    transitions = obj.get("status_transitions")
    paid_at = _moment(transitions.get("paid_at")) if isinstance(transitions, Mapping) else None
    return StripeInvoice(
        id=str(obj["id"]),
        status=str(obj.get("status") or "draft"),
        livemode=bool(obj.get("livemode")),
        created=_moment(obj.get("created")) or datetime.fromtimestamp(0, UTC),
        customer=_id_of(obj.get("customer")),
        currency=str(obj.get("currency") or "eur"),
        total_cents=_cents(obj.get("total")),
        tax_cents=_tax(obj),
        amount_paid_cents=_cents(obj.get("amount_paid")),
        invoice_key=_text(_metadata(obj).get(INVOICE_KEY)),
        order_refs=_order_refs(obj),
        number=_text(obj.get("number")),
        hosted_url=_text(obj.get("hosted_invoice_url")),
        pdf_url=_text(obj.get("invoice_pdf")),
        paid_at=paid_at,
        paid_by=_paid_by(obj),
    )


def credit_note_from_stripe(obj: Mapping[str, Any]) -> StripeCreditNote:
    """Read a Stripe credit note."""
    meta = _metadata(obj)
    return StripeCreditNote(
        id=str(obj["id"]),
        invoice=_id_of(obj.get("invoice")),
        status=str(obj.get("status") or "issued"),
        amount_cents=_cents(obj.get("total", obj.get("amount"))),
        created=_moment(obj.get("created")) or datetime.fromtimestamp(0, UTC),
        order_ref=_text(meta.get(ORDER_REF)),
        invoice_key=_text(meta.get(INVOICE_KEY)),
        number=_text(obj.get("number")),
    )


def customer_from_stripe(obj: Mapping[str, Any], *, deleted: bool = False) -> StripeCustomer:
    """Read a Stripe customer; its hub id is None when the metadata has none or is not a number."""
    raw = _text(_metadata(obj).get(CUSTOMER_ID))
    return StripeCustomer(
        id=str(obj["id"]),
        hub_customer_id=int(raw) if raw and raw.isdecimal() else None,
        deleted=deleted or bool(obj.get("deleted")),
    )


def carries_hub_metadata(obj: Mapping[str, Any]) -> bool:
    """Tell whether a Stripe object names something of the hub in its metadata."""
    meta = _metadata(obj)
    return any(_text(meta.get(key)) for key in (INVOICE_KEY, ORDER_REF, ORDER_REFS, CUSTOMER_ID))


def _pages(listed: Any) -> Iterator[Mapping[str, Any]]:
    for item in listed.auto_paging_iter():
        # JSON-ready (Decimal fields as text): events go into the inbox as Stripe sent them.
        yield item.to_dict(for_json=True)


def _since(since: datetime) -> dict[str, Any]:
    return {"created": {"gte": int(since.timestamp())}, "limit": PAGE_SIZE}


def read_invoices(client: stripe.StripeClient, since: datetime) -> list[StripeInvoice]:
    """Return the invoices created since a moment that carry a hub invoice key or order refs."""
    listed = client.v1.invoices.list(_since(since))  # type: ignore[arg-type]
    return [invoice_from_stripe(obj) for obj in _pages(listed) if carries_hub_metadata(obj)]


def read_credit_notes(client: stripe.StripeClient, since: datetime) -> list[StripeCreditNote]:
    """Return the credit notes created since a moment that carry hub metadata."""
    listed = client.v1.credit_notes.list(_since(since))  # type: ignore[arg-type]
    return [credit_note_from_stripe(obj) for obj in _pages(listed) if carries_hub_metadata(obj)]


def read_events(
    client: stripe.StripeClient, since: datetime, types: Iterable[str]
) -> list[Mapping[str, Any]]:
    """Return the raw events of the given types since a moment whose object is the hub's."""
    wanted = set(types)
    listed = client.v1.events.list(_since(since))  # type: ignore[arg-type]
    found: list[Mapping[str, Any]] = []
    for event in _pages(listed):
        data = event.get("data")
        obj = data.get("object") if isinstance(data, Mapping) else None
        if event.get("type") in wanted and isinstance(obj, Mapping) and carries_hub_metadata(obj):
            found.append(event)
    return found


def read_since(
    client: stripe.StripeClient, since: datetime, event_types: Iterable[str]
) -> StripeSnapshot:
    """Read everything reconciliation compares, created at or after ``since``."""
    return StripeSnapshot(
        since=since,
        invoices=tuple(read_invoices(client, since)),
        credit_notes=tuple(read_credit_notes(client, since)),
        events=tuple(read_events(client, since, event_types)),
    )
