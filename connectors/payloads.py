"""Typed, versioned outbox payloads: what the ledger writes and the connectors read.

Every payload is a frozen dataclass stored as JSON with its ``schema_version``. Outbox rows,
and above all dead letters, outlive releases: ``read_payload`` reads every version this
release knows (version 0 is the untyped dict written before payloads had a version, whose
keys version 1 kept) and refuses a newer one with a ``PermanentError`` that says so, instead
of guessing. Keys a version does not know are ignored, and missing optional ones take their
default, so adding an optional field does not need a new version; renaming or retyping one
does.

Money is integer cents, VAT rates basis points (2000 = 20 %), times ISO 8601 in UTC.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar, Literal, TypeVar, Union, get_args, get_origin

from connectors.errors import PermanentError

#: The version this release writes.
SCHEMA_VERSION = 1
#: The versions this release reads.
READABLE_VERSIONS = frozenset({0, 1})


CancelAction = Literal["void", "credit_note"]
RefundTo = Literal["refund", "customer_balance"]


@dataclasses.dataclass(frozen=True)
class PartyRef:
    """A customer or provider as an order names them."""

    id: int
    name: str
    ref: str | None = None


@dataclasses.dataclass(frozen=True)
class OrderLinePayload:
    position: int
    service_code: str
    label: str
    unit: str
    quantity_milli: int
    unit_price_cents: int
    vat_bp: int
    amount_cents: int
    net_cents: int
    vat_cents: int


@dataclasses.dataclass(frozen=True)
class OrderPayload:
    """An order as the ledger holds it after a change (the sheet's row is made from this)."""

    ref: str
    version: int
    status: str
    billing_status: str
    customer: PartyRef
    created_at: datetime
    updated_at: datetime
    total_cents: int
    vat_cents: int
    net_cents: int = 0
    currency: str = "eur"
    provider: PartyRef | None = None
    concierge: str | None = None
    scheduled_at: datetime | None = None
    completed_at: datetime | None = None
    notes: str | None = None
    lines: tuple[OrderLinePayload, ...] = ()
    invoice_number: str | None = None
    invoice_url: str | None = None
    invoice_pdf: str | None = None
    paid_at: datetime | None = None


@dataclasses.dataclass(frozen=True)
class OrderChanged:
    """Topics ``order.*``: the order after the change."""

    topics: ClassVar[frozenset[str]] = frozenset(
        {
            "order.created",
            "order.updated",
            "order.scheduled",
            "order.done",
            "order.reopened",
            "order.cancelled",
            "order.billing_changed",
        }
    )
    order: OrderPayload


@dataclasses.dataclass(frozen=True)
class CustomerInfo:
    """A customer as Stripe gets them; ``stripe_customer_id`` once the ledger knows it."""

    id: int
    ref: str
    name: str
    version: int
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    stripe_customer_id: str | None = None


@dataclasses.dataclass(frozen=True)
class CustomerChanged:
    """Topic ``customer.upserted``: the customer after the change."""

    topics: ClassVar[frozenset[str]] = frozenset({"customer.upserted"})
    customer: CustomerInfo


@dataclasses.dataclass(frozen=True)
class InvoiceLine:
    """One invoice line, frozen by the ledger: the amount is the hub's, VAT included.

    Stripe quantities are whole numbers, so a line goes in as quantity 1 at its amount, and
    ``description`` says what was done ("Ménage 1,5 h x 26,00 €" with a multiplication sign).
    """

    order_ref: str
    position: int
    service_code: str
    description: str
    amount_cents: int
    vat_bp: int
    vat_cents: int


@dataclasses.dataclass(frozen=True)
class OrderVersion:
    ref: str
    version: int


@dataclasses.dataclass(frozen=True)
class InvoiceRequested:
    """Topic ``invoice.requested``: the ledger decided an invoice; the connector issues it.

    ``invoice_key`` ("hub-inv-42") names the invoice in the ledger and in Stripe's metadata.
    ``mode`` is ``per_order``, ``monthly`` or ``weekly``; ``period`` ("2026-11", "2026-W48")
    for the periodic ones. ``collection_method`` is ``send_invoice`` or
    ``charge_automatically``.
    """

    topics: ClassVar[frozenset[str]] = frozenset({"invoice.requested"})
    invoice_id: int
    invoice_key: str
    customer: CustomerInfo
    mode: str
    collection_method: str
    days_until_due: int
    currency: str
    orders: tuple[OrderVersion, ...]
    lines: tuple[InvoiceLine, ...]
    total_cents: int
    vat_cents: int
    period: str | None = None


@dataclasses.dataclass(frozen=True)
class InvoiceCancelled:
    """Topic ``invoice.cancelled``: an order cancelled after billing; reverse its part.

    ``action`` is ``void`` (an open invoice of this order alone) or ``credit_note`` (a paid
    invoice, or an order inside a periodic invoice: a credit note for ``lines``, refunded or
    credited to the customer's balance as ``refund_to`` says).
    """

    topics: ClassVar[frozenset[str]] = frozenset({"invoice.cancelled"})
    invoice_id: int
    invoice_key: str
    order: OrderVersion
    action: CancelAction
    lines: tuple[InvoiceLine, ...]
    amount_cents: int
    refund_to: RefundTo = "customer_balance"
    stripe_invoice_id: str | None = None


Payload = OrderChanged | CustomerChanged | InvoiceRequested | InvoiceCancelled
_BY_TOPIC: dict[str, type[Any]] = {
    topic: cls
    for cls in (OrderChanged, CustomerChanged, InvoiceRequested, InvoiceCancelled)
    for topic in cls.topics
}


def to_json(payload: Payload) -> dict[str, Any]:
    """Return the payload as JSON-ready data, with the version this release writes."""
    return {"schema_version": SCHEMA_VERSION, **_plain(payload)}


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (tuple, list)):
        return [_plain(item) for item in value]
    return value


def topic_payload_type(topic: str) -> type[Any] | None:
    """Return the payload class of a topic, or None for a topic with no typed payload."""
    return _BY_TOPIC.get(topic)


_T = TypeVar("_T")


def read_payload(topic: str, data: Mapping[str, Any], expected: type[_T]) -> _T:
    """Read a stored payload as ``expected``, or refuse it with a clear PermanentError."""
    version = data.get("schema_version", 0)
    if version not in READABLE_VERSIONS:
        raise PermanentError(
            f"This {topic!r} payload has schema version {version!r}; this release of the hub "
            f"reads versions {sorted(READABLE_VERSIONS)}. Upgrade the worker, then replay."
        )
    cls = _BY_TOPIC.get(topic)
    if cls is not expected:
        raise PermanentError(f"Topic {topic!r} does not carry a {expected.__name__} payload.")
    try:
        return typing.cast(_T, _build(cls, data))
    except (KeyError, TypeError, ValueError) as exc:
        raise PermanentError(
            f"The {topic!r} payload (schema version {version}) cannot be read: {exc}"
        ) from exc


def _build(cls: type[Any], data: Any) -> Any:
    if not isinstance(data, Mapping):
        raise TypeError(f"{cls.__name__} expects an object, not {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    values = {}
    for f in dataclasses.fields(cls):
        if f.name in data:
            values[f.name] = _convert(hints[f.name], data[f.name], f.name)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise KeyError(f"{cls.__name__}.{f.name} is missing")
    return cls(**values)


def _convert(hint: Any, value: Any, name: str) -> Any:
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        options = [arg for arg in get_args(hint) if arg is not type(None)]
        if value is None:
            if len(options) == len(get_args(hint)):
                raise TypeError(f"{name} cannot be null")
            return None
        return _convert(options[0], value, name)
    if value is None:
        raise TypeError(f"{name} cannot be null")
    if origin is tuple:
        item = get_args(hint)[0]
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"{name} expects a list")
        return tuple(_convert(item, v, name) for v in value)
    if origin is Literal:
        if value not in get_args(hint):
            raise ValueError(f"{name} is {value!r}, not one of {list(get_args(hint))}")
        return value
    if dataclasses.is_dataclass(hint):
        return _build(typing.cast(type[Any], hint), value)
    if hint is datetime:
        return datetime.fromisoformat(value) if isinstance(value, str) else _wrong(name, value)
    if hint is int and (isinstance(value, bool) or not isinstance(value, int)):
        return _wrong(name, value)
    if hint is str and not isinstance(value, str):
        return _wrong(name, value)
    return value


def _wrong(name: str, value: Any) -> Any:
    raise TypeError(f"{name} has the wrong type ({type(value).__name__})")
